"""The password strength hint."""

from desk.core.passwords import estimate


def test_short_password_is_not_acceptable() -> None:
    result = estimate("abc12")
    assert not result.acceptable and result.label == "too short"


def test_common_word_is_weak() -> None:
    assert estimate("password1").label == "weak"


def test_long_passphrase_is_strong() -> None:
    result = estimate("Correct horse battery staple 42!")
    assert result.acceptable and result.label == "strong"


def test_repeated_character_is_weak() -> None:
    assert estimate("aaaaaaaaaaaa").label == "weak"

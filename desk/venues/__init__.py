"""Outside services, one package each: a client with an injected transport, pure parse functions, constants."""

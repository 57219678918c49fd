"""The event contracts: one module per event family (the publishing service), shared by the producer and its
consumers. A producer emits these models; a consumer parses its payloads into the same models
(`portal_common.events.typed`), never reads them as dicts. Importing a module registers its types
(`events.SCHEMAS`, `events.OWNERS`)."""

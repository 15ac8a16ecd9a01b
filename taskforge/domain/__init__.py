"""Pure domain rules: enums, state machines, validation. No I/O."""

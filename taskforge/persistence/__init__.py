"""Tables, migrations, dialect strategies and repositories: the only SQL in TaskForge."""

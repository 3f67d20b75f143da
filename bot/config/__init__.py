"""The config: the schema of the YAML files marketers and ops edit (`settings`, with the `section_filters` and
`section_alerts` sections), reading a file safely (`yaml_reading`), loading with error messages that name the
file, line and key, the generated reference (`reference`), warnings for values that look like secrets
(`secret_scan`) and the hot reload (`reload`). Parsed once into typed objects; nothing else reads YAML."""

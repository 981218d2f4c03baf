"""The facade: settings, clinical extraction, FHIR mapping, SQL projection, CLI, demo."""

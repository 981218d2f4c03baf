"""The synthetic demo VistA: dictionaries laid out like the real files, and seeded data."""

from bridge.demo.dictionary import dictionary_nodes, write_dictionaries
from bridge.demo.export import SYNTHETIC_TITLE, export_demo_zwr
from bridge.demo.generator import DEMO_TODAY, DemoError, DemoSummary, generate_demo

__all__ = [
    "DEMO_TODAY",
    "SYNTHETIC_TITLE",
    "DemoError",
    "DemoSummary",
    "dictionary_nodes",
    "export_demo_zwr",
    "generate_demo",
    "write_dictionaries",
]

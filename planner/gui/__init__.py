"""The desktop application (PyQt6). The only part of the package that imports Qt."""

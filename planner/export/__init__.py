"""Deliverables: GeoPackage, workbook, HTML map, map sheets (no Qt here either)."""

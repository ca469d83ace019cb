"""Reading input files and harmonising them into the catalogue's layers."""

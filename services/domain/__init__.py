"""The rules every service shares, written once: time zone, slots, regions, staleness, area ids.

Pure functions over `schemas` and the port records; nothing here does I/O.
"""

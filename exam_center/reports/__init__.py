"""Printable documents rendered with reportlab (admission tickets, …).

Plain Python: no Flask, no database. Callers build the plain data objects and get PDF bytes back.
"""

"""Pulumi components that deploy loadshed to AWS. Pure helpers live beside them as functions."""

"""engines/qsp"""

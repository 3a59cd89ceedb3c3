"""therapies"""

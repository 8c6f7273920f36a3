"""IAM simulation: the module's policies evaluated offline against the calls the function makes (see simulator.py)."""

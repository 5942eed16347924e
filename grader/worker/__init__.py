"""What runs beside student code, in the untrusted worker process.

Nothing here decides a score: the worker imports the submission, runs what the checker
asks (a call, an attribute, a probe from `probes`), and answers with data only. It
imports torch, torchinfo and the standard library, never the checker's modules.
"""

"""Training, ONNX export, calibration and parity vectors for Vigil's window autoencoders.

The featurization here is the twin of the job's: both follow docs/model-contract.md.
"""

"""xent-envs: Gymnasium environments for Xent games."""

__version__ = "0.1.0"

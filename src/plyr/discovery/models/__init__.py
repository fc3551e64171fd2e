"""The models discovery runs on this CPU: musicnn and MiniLM in numpy, and an operator's CLAP."""

"""The running service: version, uptime, platform, configuration with secrets masked."""

"""Device agents (设备代理): programs that run beside the hardware on a hall or kiosk PC, drive it over its
serial line or camera, and report to the centre only through its HTTP API with a device token.

``python -m devices.agent checkin …`` is the hall check-in agent (入场人证核验).
"""

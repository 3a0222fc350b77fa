"""Practical-exam stations (实操考试设备): PLC-based rigs on one Modbus RTU bus per practical hall
(docs/protocols/practical-station.md)."""

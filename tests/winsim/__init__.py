"""Windows licensing simulator: a model of the licensing service and a loopback WinRM endpoint."""

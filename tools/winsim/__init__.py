"""Windows licensing simulator, a development tool of this repository (never part of the built collection).

A model of one Windows host's licensing service at the CIM level, the network its KMS route test reaches,
and a loopback WinRM endpoint that serves a fleet of such hosts to real ``ansible-playbook`` runs. The one
entry point is ``python -m winsim`` (``make fleet``); tests, the demo and the benchmark import it.
"""

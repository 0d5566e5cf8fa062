"""WS-Management SOAP envelopes: parse the requests WinRS clients send, build the replies WinRM gives."""

from __future__ import annotations

import base64
import dataclasses
import re
import uuid
import xml.etree.ElementTree as ET

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
CMD_RESOURCE_URI = f"{SHELL_URI}/cmd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

ACTION_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
ACTION_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
ACTION_COMMAND = f"{SHELL_URI}/Command"
ACTION_SEND = f"{SHELL_URI}/Send"
ACTION_RECEIVE = f"{SHELL_URI}/Receive"
ACTION_SIGNAL = f"{SHELL_URI}/Signal"

STATE_DONE = f"{SHELL_URI}/CommandState/Done"
STATE_RUNNING = f"{SHELL_URI}/CommandState/Running"
SIGNAL_TERMINATE = f"{SHELL_URI}/signal/terminate"
SIGNAL_CTRL_C = f"{SHELL_URI}/signal/ctrl_c"


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


class WSManFault(Exception):
    """A SOAP fault WinRM answers with (HTTP 500), carrying the WSMan error code."""

    def __init__(self, subcode: str, reason: str, wsman_code: int, code: str = "s:Sender") -> None:
        super().__init__(reason)
        self.code = code
        self.subcode = subcode
        self.reason = reason
        self.wsman_code = wsman_code


def operation_timeout_fault() -> WSManFault:
    """The fault a Receive gets when the command produced nothing within OperationTimeout."""
    return WSManFault(
        "w:TimedOut",
        "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
        2150858793,
        code="s:Receiver",
    )


@dataclasses.dataclass(frozen=True)
class Request:
    """The parts of a WS-Management request the WinRS service acts on."""

    action: str
    message_id: str
    resource_uri: str
    shell_id: str | None
    options: dict[str, str]
    operation_timeout: float | None
    body: ET.Element

    def find(self, path: str) -> ET.Element | None:
        """Find an element below the SOAP body (prefixes as in NS)."""
        return self.body.find(path, NS)


_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


def parse_duration(text: str | None) -> float | None:
    """Seconds in an xs:duration such as PT20S or PT1M30.5S; None if absent or not understood."""
    match = _DURATION.match((text or "").strip())
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_request(data: bytes) -> Request:
    """Parse a SOAP envelope; malformed envelopes raise WSManFault like WinRM does."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise WSManFault(
            "w:SchemaValidationError", f"The SOAP XML in the message is not valid: {exc}", 2150858817
        ) from exc
    header = root.find("s:Header", NS)
    body = root.find("s:Body", NS)
    if root.tag != _q("s", "Envelope") or header is None or body is None:
        raise WSManFault(
            "w:SchemaValidationError", "The message is not a SOAP 1.2 envelope with a header and a body.", 2150858817
        )

    def text(path: str) -> str:
        node = header.find(path, NS)
        return (node.text or "").strip() if node is not None else ""

    shell_id = None
    options: dict[str, str] = {}
    for selector in header.findall("w:SelectorSet/w:Selector", NS):
        if selector.get("Name") == "ShellId":
            shell_id = (selector.text or "").strip()
    for option in header.findall("w:OptionSet/w:Option", NS):
        options[option.get("Name", "")] = (option.text or "").strip()
    action = text("a:Action")
    if not action:
        raise WSManFault(
            "a:MessageInformationHeaderRequired", "The WS-Addressing Action header is missing.", 2150858770
        )
    return Request(
        action=action,
        message_id=text("a:MessageID"),
        resource_uri=text("w:ResourceURI"),
        shell_id=shell_id,
        options=options,
        operation_timeout=parse_duration(text("w:OperationTimeout")),
        body=body,
    )


def _envelope(action: str, relates_to: str) -> tuple[ET.Element, ET.Element]:
    root = ET.Element(_q("s", "Envelope"), {XML_LANG: "en-US"})
    header = ET.SubElement(root, _q("s", "Header"))
    ET.SubElement(header, _q("a", "Action")).text = action
    ET.SubElement(header, _q("a", "MessageID")).text = f"uuid:{str(uuid.uuid4()).upper()}"
    ET.SubElement(header, _q("a", "To")).text = ANONYMOUS
    if relates_to:
        ET.SubElement(header, _q("a", "RelatesTo")).text = relates_to
    body = ET.SubElement(root, _q("s", "Body"))
    return root, body


def _serialise(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def create_response(request: Request, shell_id: str, address: str, owner: str, client_ip: str) -> bytes:
    """Reply to a shell Create: ResourceCreated with the ShellId selector, then the shell's properties."""
    root, body = _envelope(f"{ACTION_CREATE}Response", request.message_id)
    created = ET.SubElement(body, _q("x", "ResourceCreated"))
    ET.SubElement(created, _q("a", "Address")).text = address
    refs = ET.SubElement(created, _q("a", "ReferenceParameters"))
    ET.SubElement(refs, _q("w", "ResourceURI")).text = CMD_RESOURCE_URI
    selectors = ET.SubElement(refs, _q("w", "SelectorSet"))
    ET.SubElement(selectors, _q("w", "Selector"), {"Name": "ShellId"}).text = shell_id
    shell = ET.SubElement(body, _q("rsp", "Shell"))
    for name, value in (
        ("ShellId", shell_id),
        ("ResourceUri", CMD_RESOURCE_URI),
        ("Owner", owner),
        ("ClientIP", client_ip),
        ("IdleTimeOut", "PT7200.000S"),
        ("InputStreams", "stdin"),
        ("OutputStreams", "stdout stderr"),
        ("ShellRunTime", "P0DT0H0M0S"),
        ("ShellInactivity", "P0DT0H0M0S"),
    ):
        ET.SubElement(shell, _q("rsp", name)).text = value
    return _serialise(root)


def command_response(request: Request, command_id: str) -> bytes:
    """Reply to Command: the new CommandId."""
    root, body = _envelope(f"{ACTION_COMMAND}Response", request.message_id)
    response = ET.SubElement(body, _q("rsp", "CommandResponse"))
    ET.SubElement(response, _q("rsp", "CommandId")).text = command_id
    return _serialise(root)


def empty_response(request: Request, element: str | None) -> bytes:
    """Reply to Send, Signal or Delete: the action's Response with an (optional) empty body element."""
    root, body = _envelope(f"{request.action}Response", request.message_id)
    if element:
        ET.SubElement(body, _q("rsp", element))
    return _serialise(root)


def receive_response(
    request: Request, command_id: str, stdout: bytes, stderr: bytes, done: bool, exit_code: int
) -> bytes:
    """Reply to Receive: base64 stream chunks, End markers and the CommandState once the command is done."""
    root, body = _envelope(f"{ACTION_RECEIVE}Response", request.message_id)
    response = ET.SubElement(body, _q("rsp", "ReceiveResponse"))
    for name, data in (("stdout", stdout), ("stderr", stderr)):
        if data:
            node = ET.SubElement(response, _q("rsp", "Stream"), {"Name": name, "CommandId": command_id})
            node.text = base64.b64encode(data).decode("ascii")
    if done:
        for name in ("stdout", "stderr"):
            ET.SubElement(response, _q("rsp", "Stream"), {"Name": name, "CommandId": command_id, "End": "true"})
    state = ET.SubElement(
        response, _q("rsp", "CommandState"), {"CommandId": command_id, "State": STATE_DONE if done else STATE_RUNNING}
    )
    if done:
        ET.SubElement(state, _q("rsp", "ExitCode")).text = str(exit_code)
    return _serialise(root)


def fault_response(request_message_id: str, fault: WSManFault, machine: str) -> bytes:
    """A SOAP fault with the WSManFault detail pywinrm reads the code from."""
    root, body = _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", request_message_id)
    node = ET.SubElement(body, _q("s", "Fault"))
    code = ET.SubElement(node, _q("s", "Code"))
    ET.SubElement(code, _q("s", "Value")).text = fault.code
    subcode = ET.SubElement(code, _q("s", "Subcode"))
    ET.SubElement(subcode, _q("s", "Value")).text = fault.subcode
    reason = ET.SubElement(node, _q("s", "Reason"))
    ET.SubElement(reason, _q("s", "Text"), {XML_LANG: "en-US"}).text = fault.reason
    detail = ET.SubElement(node, _q("s", "Detail"))
    wsman = ET.SubElement(detail, _q("f", "WSManFault"), {"Code": str(fault.wsman_code), "Machine": machine})
    ET.SubElement(wsman, _q("f", "Message")).text = fault.reason
    return _serialise(root)

#!/usr/bin/env python3
"""Drive a running `wxmaterial emulator serve` from Python, standard library only.

Start the emulator with a fake clock (and, to try the HTTPS proxy, --tls):

    wxmaterial emulator serve --addr 127.0.0.1:8080 --clock fake --tls --ca-cert /tmp/emulator-ca.pem

then run:

    python3 examples/python/emulator_demo.py --url http://127.0.0.1:8080 --ca-cert /tmp/emulator-ca.pem

It resets the emulator, then walks through what an integration test of any
language does: fetch a token, upload (multipart), list, download, inject a
fault over the control API and see it, jump the clock three days and see the
temporary media expire, read the request log (tokens redacted), and, with
--ca-cert, reach https://api.weixin.qq.com through the emulator's proxy.
Every step checks its result; the script exits non-zero on the first
surprise. docs/emulator.md documents the control API it uses.
"""

import argparse
import json
import ssl
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request
import zlib

# The demo accounts every `wxmaterial emulator serve` has.
DEMO_APPID = "wx0123456789abcdef"
DEMO_SECRET = "0123456789abcdef0123456789abcdef"
DEMO_CORPID = "ww0123456789abcdef"
DEMO_AGENT_SECRET = "demo-agent-secret-0123456789abcdefghijklmnop"

checks = 0


def check(cond, what):
    """Count a check; stop the script when it fails."""
    global checks
    if not cond:
        raise SystemExit("FAILED: " + what)
    checks += 1
    print("ok:", what)


# Direct calls ignore any HTTP(S)_PROXY of the environment.
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(method, url, body=None, headers=None, opener=direct):
    """Send a request; return (status, headers, body bytes), HTTP errors included."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def call_json(method, url, payload=None, opener=direct):
    body = None if payload is None else json.dumps(payload).encode()
    status, _, raw = call(method, url, body, {"Content-Type": "application/json"}, opener)
    return status, json.loads(raw)


def control(base, method, path, payload=None):
    """Call the emulator's control API; it answers JSON."""
    status, reply = call_json(method, base + "/_emulator" + path, payload)
    if status // 100 != 2:
        raise SystemExit("control %s %s: HTTP %d %s" % (method, path, status, reply))
    return reply


def png(width, height, rgb):
    """A small valid PNG, built by hand."""

    def chunk(kind, data):
        head = struct.pack(">I", len(data)) + kind + data
        return head + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def multipart(filename, content_type, data):
    """A multipart body with the file in the part named "media", with its exact length."""
    boundary = "wxmaterial-demo-boundary"
    head = ('--%s\r\nContent-Disposition: form-data; name="media"; filename="%s"\r\n'
            "Content-Type: %s\r\n\r\n" % (boundary, filename, content_type)).encode()
    tail = ("\r\n--%s--\r\n" % boundary).encode()
    return head + data + tail, "multipart/form-data; boundary=" + boundary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True, help="the emulator, e.g. http://127.0.0.1:8080")
    ap.add_argument("--ca-cert", help="the CA certificate of `serve --tls --ca-cert FILE`: also try the HTTPS proxy")
    ap.add_argument("--proxy", help="the proxy to use with --ca-cert (default: --url)")
    args = ap.parse_args()
    base = args.url.rstrip("/")
    oa = base + "/oa"
    work = base + "/work"

    if not base.startswith(("http://", "https://")):
        raise SystemExit("--url %s: give the emulator's address with its scheme, e.g. http://127.0.0.1:8080" % args.url)
    try:
        health = control(base, "GET", "/health")
    except (urllib.error.URLError, OSError) as err:  # nothing listening, a wrong host or port, a timeout
        reason = getattr(err, "reason", err)
        raise SystemExit("no emulator answers at %s (%s): start `wxmaterial emulator serve` first (see the top of this script)" % (base, reason))
    check(health["status"] == "ok", "the emulator is up (%s)" % health["now"])
    if not health["clock_adjustable"]:
        raise SystemExit("start the emulator with --clock fake: this demo moves its clock")
    control(base, "POST", "/reset")
    check(True, "reset to the state of a fresh start")

    # A token, the way every SDK gets one.
    q = urllib.parse.urlencode({"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET})
    status, reply = call_json("GET", oa + "/cgi-bin/token?" + q)
    token = reply.get("access_token", "")
    check(status == 200 and token and reply["expires_in"] == 7200, "cgi-bin/token gave a token for 7200 s")

    # A temporary upload: multipart, file in the part named "media".
    image = png(4, 3, (0, 105, 148))
    body, ctype = multipart("sea.png", "image/png", image)
    status, _, raw = call("POST", oa + "/cgi-bin/media/upload?" + urllib.parse.urlencode(
        {"access_token": token, "type": "image"}), body, {"Content-Type": ctype})
    reply = json.loads(raw)
    temp_id = reply.get("media_id", "")
    check(status == 200 and temp_id and reply["type"] == "image", "media/upload stored a temporary image")

    # A permanent upload, then the library listed page by page.
    status, _, raw = call("POST", oa + "/cgi-bin/material/add_material?" + urllib.parse.urlencode(
        {"access_token": token, "type": "image"}), body, {"Content-Type": ctype})
    perm_id = json.loads(raw).get("media_id", "")
    check(perm_id != "", "material/add_material stored a permanent image")
    status, page = call_json("POST", oa + "/cgi-bin/material/batchget_material?access_token=" + token,
                             {"type": "image", "offset": 0, "count": 20})
    listed = [item["media_id"] for item in page.get("item", [])]
    check(page.get("total_count", 0) >= 1 and listed[0] == perm_id,
          "batchget_material lists it first of %d images" % page["total_count"])
    media = control(base, "GET", "/media?family=temporary&owner=" + DEMO_APPID)
    check([m["media_id"] for m in media["media"]] == [temp_id], "the control API lists the temporary image")

    # Download: the bytes come back as uploaded.
    get_url = oa + "/cgi-bin/media/get?" + urllib.parse.urlencode({"access_token": token, "media_id": temp_id})
    status, headers, raw = call("GET", get_url)
    check(status == 200 and raw == image and headers["Content-Type"] == "image/png",
          "media/get returned the %d bytes uploaded" % len(raw))

    # A fault over the control API: the next media/get answers errcode -1.
    fault = control(base, "POST", "/faults", {"platform": "oa", "path": "/cgi-bin/media/get",
                                              "action": "errcode", "errcode": -1})
    status, _, raw = call("GET", get_url)
    check(status == 200 and json.loads(raw)["errcode"] == -1, "fault %s: media/get answered errcode -1" % fault["id"])
    status, _, raw = call("GET", get_url)
    check(raw == image, "the fault was used up: the next media/get worked")
    control(base, "POST", "/faults", {"path": "/cgi-bin/media/get", "action": "status", "status": 502})
    status, _, _ = call("GET", get_url)
    check(status == 502, "a status fault: media/get answered HTTP 502")
    check(control(base, "GET", "/faults/" + fault["id"])["hits"] == 1, "the control API counted the fault's hit")

    # The clock: three days later the temporary image has expired (and so
    # has the token, after two hours).
    clock = control(base, "POST", "/clock", {"advance": "72h"})
    check(clock["adjustable"], "the clock moved 72 h to %s" % clock["now"])
    status, reply = call_json("GET", get_url)
    check(reply.get("errcode") == 42001, "the old token expired (42001)")
    status, reply = call_json("GET", oa + "/cgi-bin/token?" + q)
    token = reply["access_token"]
    status, reply = call_json("GET", oa + "/cgi-bin/media/get?" + urllib.parse.urlencode(
        {"access_token": token, "media_id": temp_id}))
    check(reply.get("errcode") == 40007, "the temporary image expired after 3 days (40007)")
    status, page = call_json("POST", oa + "/cgi-bin/material/batchget_material?access_token=" + token,
                             {"type": "image", "offset": 0, "count": 1})
    check(page["item"][0]["media_id"] == perm_id, "the permanent image is still listed")

    # WeCom: a file, downloaded in a Range chunk.
    status, reply = call_json("GET", work + "/cgi-bin/gettoken?" + urllib.parse.urlencode(
        {"corpid": DEMO_CORPID, "corpsecret": DEMO_AGENT_SECRET}))
    wtoken = reply["access_token"]
    text = b"hello from python, in a range"
    body, ctype = multipart("hello.txt", "text/plain", text)
    status, _, raw = call("POST", work + "/cgi-bin/media/upload?" + urllib.parse.urlencode(
        {"access_token": wtoken, "type": "file"}), body, {"Content-Type": ctype})
    file_id = json.loads(raw)["media_id"]
    status, headers, raw = call("GET", work + "/cgi-bin/media/get?" + urllib.parse.urlencode(
        {"access_token": wtoken, "media_id": file_id}), headers={"Range": "bytes=6-9"})
    check(status == 206 and raw == text[6:10] and headers["Content-Range"] == "bytes 6-9/%d" % len(text),
          "WeCom media/get answered a Range with 206")

    # The request log, once every call is done: tokens are redacted.
    control(base, "POST", "/settle")
    log = control(base, "GET", "/requests")
    text_log = json.dumps(log)
    check(token not in text_log and wtoken not in text_log and DEMO_SECRET not in text_log,
          "the request log (%d calls) holds no token and no secret" % log["count"])
    faulted = [r for r in log["requests"] if r.get("fault")]
    check([r["fault"] for r in faulted] == ["errcode -1", "status 502"], "the log shows the two faulted calls")

    if args.ca_cert:
        proxy(args.proxy or base, args.ca_cert)
    print("emulator demo: all %d checks passed" % checks)


def proxy(proxy_url, ca_cert):
    """An SDK with https://api.weixin.qq.com built in, through HTTPS_PROXY."""
    handler = urllib.request.ProxyHandler({"https": proxy_url})
    trusted = urllib.request.build_opener(handler, urllib.request.HTTPSHandler(
        context=ssl.create_default_context(cafile=ca_cert)))
    q = urllib.parse.urlencode({"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET})
    status, reply = call_json("GET", "https://api.weixin.qq.com/cgi-bin/token?" + q, opener=trusted)
    check(status == 200 and reply.get("access_token"), "https://api.weixin.qq.com through the proxy, CA trusted")

    untrusted = urllib.request.build_opener(handler, urllib.request.HTTPSHandler(
        context=ssl.create_default_context()))
    try:
        call("GET", "https://api.weixin.qq.com/cgi-bin/token?" + q, opener=untrusted)
        failed = None
    except urllib.error.URLError as err:
        failed = err.reason
    check(isinstance(failed, ssl.SSLCertVerificationError), "without the CA the handshake fails (%s)" % failed)

    try:
        call("GET", "https://example.com/", opener=trusted)
        refused = None
    except (urllib.error.URLError, OSError) as err:
        refused = err
    check(refused is not None and "403" in str(refused), "the proxy refuses any other host (%s)" % refused)


if __name__ == "__main__":
    sys.exit(main())

"""HTTPS checks against a running passgate, with real clients: Python's ssl module and zeep.

Usage: https_client.py PORT CERT KEY NEW_CERT NEW_KEY USER PASSWORD
CERT/KEY are the files the server was started with; NEW_CERT/NEW_KEY a second pair.
Prints one JSON object with what was observed; the Rust test asserts on it.
"""
import hashlib
import http.client
import json
import os
import shutil
import ssl
import sys
import time
import warnings

import requests
import zeep
from zeep.transports import Transport

port, cert, key, new_cert, new_key, user, password = sys.argv[1:8]
host = "127.0.0.1"
out = {}


def context(*cas):
    ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    for ca in cas:
        ctx.load_verify_locations(ca)
    return ctx


def fingerprint_of(conn):
    return hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest()


def pem_fingerprint(path):
    with open(path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


both = context(cert, new_cert)
old_fp = pem_fingerprint(cert)

# 1. A kept-alive connection, before the renewal.
kept = http.client.HTTPSConnection(host, int(port), context=both, timeout=10)
kept.request("GET", "/healthz")
r = kept.getresponse()
out["healthz"] = [r.status, r.read().decode()]
out["version"] = kept.sock.version()
out["alpn"] = kept.sock.selected_alpn_protocol()
out["first_cert_is_old"] = fingerprint_of(kept) == old_fp

# 2. TLS 1.1 and older are refused.
old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
old.load_verify_locations(cert)
warnings.simplefilter("ignore", DeprecationWarning)
old.minimum_version = ssl.TLSVersion.TLSv1
old.maximum_version = ssl.TLSVersion.TLSv1_1
try:
    c = http.client.HTTPSConnection(host, int(port), context=old, timeout=10)
    c.request("GET", "/healthz")
    c.getresponse()
    out["tls11_refused"] = False
except (ssl.SSLError, OSError):
    out["tls11_refused"] = True

# 3. zeep generates its calls from the WSDL fetched over HTTPS and signs in.
session = requests.Session()
session.verify = cert
# Else REQUESTS_CA_BUNDLE from the environment would win over session.verify (requests#3829).
session.trust_env = False
client = zeep.Client(
    f"https://{host}:{port}/Remote/Services84/SoPrincipal.svc?wsdl",
    transport=Transport(session=session),
)
out["wsdl_address"] = client.service._binding_options["address"]
reply = client.service.AuthenticateUsernamePassword(UserName=user, Password=password)
out["zeep_ticket"] = bool(reply.body.Credentials.Ticket)

# 4. Renewal: the new pair replaces the files (each renamed into place, as ACME clients do).
for src, dst in ((new_key, key), (new_cert, cert)):
    shutil.copyfile(src, dst + ".tmp")
    os.replace(dst + ".tmp", dst)
deadline = time.time() + 15
out["new_cert_served"] = False
while time.time() < deadline:
    c = http.client.HTTPSConnection(host, int(port), context=both, timeout=10)
    c.request("GET", "/healthz")
    c.getresponse().read()
    if fingerprint_of(c) == pem_fingerprint(new_cert):
        out["new_cert_served"] = True
        c.close()
        break
    c.close()
    time.sleep(0.3)

# 5. The connection opened before the renewal still works, with its certificate.
kept.request("GET", "/healthz")
r = kept.getresponse()
out["kept_alive_after_renewal"] = [r.status, r.read().decode()]
out["kept_cert_is_old"] = fingerprint_of(kept) == old_fp

# 6. A broken file does not replace a working certificate.
with open(cert + ".tmp", "w") as f:
    f.write("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
os.replace(cert + ".tmp", cert)
time.sleep(3)
c = http.client.HTTPSConnection(host, int(port), context=both, timeout=10)
c.request("GET", "/healthz")
out["after_broken_file"] = [c.getresponse().status, fingerprint_of(c) == pem_fingerprint(new_cert)]
print(json.dumps(out))

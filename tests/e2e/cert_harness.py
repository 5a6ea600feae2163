"""Certificates made by openssl at test time, for the TLS tests (test_tls.py, test_gateway_tls.py)."""

import os
import subprocess


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(directory, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name}", cwd=directory)


def make_cert(directory, name, ca):
    """A certificate for 127.0.0.1 that serves and identifies clients, signed by `ca`."""
    with open(os.path.join(directory, f"{name}.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=directory)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=directory)


def combined_pem(directory, name):
    """`name`'s certificate and key in one file, as mongod's --tlsCertificateKeyFile takes them."""
    path = os.path.join(directory, f"{name}-with-key.pem")
    with open(path, "w") as out:
        for part in (f"{name}.pem", f"{name}.key"):
            with open(os.path.join(directory, part)) as f:
                out.write(f.read())
    return path

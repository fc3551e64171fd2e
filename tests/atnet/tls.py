"""A self-signed certificate for `plyr.devnet.internal`, the name a confidential (https)
OAuth client goes by in tests: the devnet PDS resolves it to 127.0.0.1 (DEVNET_HOSTS) and
trusts the certificate (NODE_EXTRA_CA_CERTS), so it can fetch the client's metadata and keys.
The PDS refuses client ids on "local" TLDs (.test, .localhost, ...) and example.com."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CLIENT_HOST = "plyr.devnet.internal"  # .internal: private-use; .test counts as "local"


@dataclass(frozen=True)
class ServerCert:
    cert: Path
    key: Path


def make_cert(folder: Path, hostname: str = CLIENT_HOST) -> ServerCert:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    paths = ServerCert(folder / "cert.pem", folder / "key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths

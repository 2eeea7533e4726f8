//! TLS for `https://` OTLP endpoints: what the server is checked against (the CA file
//! the environment names, else the system's roots and the webpki roots) and what the
//! client presents for mutual TLS. One answer for both transports, so gRPC and HTTP
//! trust the same certificates.

use std::sync::OnceLock;

use rustls::pki_types::CertificateDer;

use crate::config::TlsFiles;

/// The system's trusted certificates, read once per process (the store is a directory
/// of files on Linux; each exporter asking again would read it again).
fn native_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// What an `https://` endpoint is checked against without a CA file: the webpki roots
/// and the system's. Both transports take their anchors from here.
fn default_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    roots.add_parsable_certificates(native_roots().iter().cloned());
    roots
}

#[cfg(feature = "reqwest")]
fn certificates(pem: &[u8]) -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .collect()
}

/// A rustls client configuration (aws-lc-rs) for the HTTP transport.
#[cfg(feature = "reqwest")]
pub(crate) fn client_config(tls: &TlsFiles) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::PrivateKeyDer;
    use std::sync::Arc;
    let roots = match &tls.ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            let (added, _) = roots.add_parsable_certificates(certificates(ca.bytes()));
            if added == 0 {
                return Err(format!("no usable certificate in {}", ca.path.display()));
            }
            roots
        }
        None => default_roots(),
    };
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots);
    match &tls.client {
        Some((cert, key)) => {
            let key = PrivateKeyDer::from_pem_slice(key.bytes())
                .map_err(|e| format!("client key {}: {e}", key.path.display()))?;
            builder
                .with_client_auth_cert(certificates(cert.bytes()), key)
                .map_err(|e| format!("client certificate {}: {e}", cert.path.display()))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

/// tonic's TLS settings for the gRPC transport, trusting what [`client_config`] trusts.
#[cfg(feature = "tonic")]
pub(crate) fn tonic_config(tls: &TlsFiles) -> tonic::transport::ClientTlsConfig {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    let mut c = ClientTlsConfig::new();
    match &tls.ca {
        Some(ca) => c = c.ca_certificate(Certificate::from_pem(ca.bytes())),
        // The same anchors as the HTTP transport, the system's read once per process
        // (tonic's own native-roots option would read them again per channel).
        None => c = c.trust_anchors(default_roots().roots),
    }
    if let Some((cert, key)) = &tls.client {
        c = c.identity(Identity::from_pem(cert.bytes(), key.bytes()));
    }
    c
}

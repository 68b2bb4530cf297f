//! Where published files come from: a directory (USB stick, mounted share) or
//! an HTTP(S) mirror. Transports are untrusted: they only move bytes, every
//! byte is verified afterwards, and every read is capped by the caller.

use std::path::PathBuf;

/// A fetched file, or "unchanged" for a conditional request.
#[derive(Debug)]
pub enum Fetched {
    /// The file's bytes and, over HTTP, its ETag.
    Body {
        /// Contents.
        bytes: Vec<u8>,
        /// Validator for the next conditional request.
        etag: Option<String>,
    },
    /// HTTP 304: the file did not change since the ETag given.
    NotModified,
}

/// The bytes of a fetch that was not conditional: a 304 there is the
/// source's error (only the manifest is fetched conditionally).
pub(crate) fn body(fetched: Fetched, name: &str) -> Result<Vec<u8>, FetchError> {
    match fetched {
        Fetched::Body { bytes, .. } => Ok(bytes),
        Fetched::NotModified => Err(FetchError::Transport {
            name: name.into(),
            message: "unexpected 304 Not Modified".into(),
        }),
    }
}

/// Whether a source's answer means "no such file". Object stores without list
/// permission (S3, CloudFront) answer 403 for a missing key.
pub(crate) fn absent(e: &FetchError) -> bool {
    matches!(e, FetchError::NotFound { .. })
        || matches!(
            e,
            FetchError::Status {
                status: 403 | 410,
                ..
            }
        )
}

/// Why a file could not be fetched; each names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// 404, or no such file.
    #[error("{name}: not found")]
    NotFound {
        /// The file.
        name: String,
    },
    /// Any other HTTP error status.
    #[error("{name}: server answered HTTP {status}")]
    Status {
        /// The file.
        name: String,
        /// The status code.
        status: u16,
    },
    /// More bytes than allowed (endless data).
    #[error("{name}: endless data: more than the {max} bytes allowed")]
    TooLarge {
        /// The file.
        name: String,
        /// The cap.
        max: u64,
    },
    /// The connection ended early.
    #[error("{name}: truncated download: {got} bytes, expected {expected}")]
    Truncated {
        /// The file.
        name: String,
        /// Bytes received.
        got: u64,
        /// Bytes announced or signed.
        expected: u64,
    },
    /// No complete answer in time (slow retrieval).
    #[error("{name}: slow retrieval: no complete answer within {secs} s")]
    Timeout {
        /// The file.
        name: String,
        /// The limit.
        secs: u64,
    },
    /// Redirected in circles or too often.
    #[error("{name}: redirect loop (too many redirects)")]
    Redirects {
        /// The file.
        name: String,
    },
    /// An https:// source redirected to a URL that is not https://.
    #[error("{name}: refusing a redirect from https:// to {to} (a downgrade); fix the source URL")]
    Downgrade {
        /// The file.
        name: String,
        /// Where the redirect pointed.
        to: String,
    },
    /// Connection, TLS or reading failed.
    #[error("{name}: {message}")]
    Transport {
        /// The file.
        name: String,
        /// What the transport said.
        message: String,
    },
}

/// A source of published files.
pub trait Transport {
    /// The source, for messages and status (a URL or a path).
    fn describe(&self) -> String;
    /// Fetches `name`, refusing more than `max` bytes; with `etag`, a 304 may answer.
    fn fetch(&self, name: &str, max: u64, etag: Option<&str>) -> Result<Fetched, FetchError>;
}

/// Files in a local directory.
pub struct DirTransport {
    /// The directory.
    pub dir: PathBuf,
}

impl Transport for DirTransport {
    fn describe(&self) -> String {
        self.dir.display().to_string()
    }

    fn fetch(&self, name: &str, max: u64, _etag: Option<&str>) -> Result<Fetched, FetchError> {
        let path = self.dir.join(name);
        if !path.exists() {
            return Err(FetchError::NotFound { name: name.into() });
        }
        match crate::published::read_capped(&path, max) {
            Ok(bytes) => Ok(Fetched::Body { bytes, etag: None }),
            Err(crate::published::Error::TooLarge { max, .. }) => Err(FetchError::TooLarge {
                name: name.into(),
                max,
            }),
            Err(e) => Err(FetchError::Transport {
                name: name.into(),
                message: e.to_string(),
            }),
        }
    }
}

#[cfg(feature = "http")]
pub(crate) use http::{client_builder, error_text};
#[cfg(feature = "http")]
pub use http::{HttpOptions, HttpTransport, Progress};

#[cfg(feature = "http")]
mod http {
    use super::{FetchError, Fetched, Transport};
    use crate::client::sources::SourceUrl;
    use std::io::Read;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    /// Told how a large download proceeds: file name, bytes so far, bytes
    /// expected; called with equal counts when it ends. The library never
    /// draws anything itself: a program shows the progress its own way.
    pub type Progress = std::sync::Arc<dyn Fn(&str, u64, u64) + Send + Sync>;

    /// Settings for HTTP mirrors.
    #[derive(Clone)]
    pub struct HttpOptions {
        /// Connect timeout, and the limit for each whole file.
        pub timeout: Duration,
        /// Further attempts after a transient failure (timeout, connection, 5xx).
        pub retries: u32,
        /// Pause before the first retry; doubled each time.
        pub backoff: Duration,
        /// Extra trusted CA certificate (PEM), added to the system's.
        pub ca_cert: Option<PathBuf>,
        /// Told how downloads of more than 1 MiB proceed.
        pub progress: Option<Progress>,
        /// Accept http:// sources (`init --allow-http`); off by default.
        pub allow_http: bool,
    }

    impl std::fmt::Debug for HttpOptions {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("HttpOptions")
                .field("timeout", &self.timeout)
                .field("retries", &self.retries)
                .field("backoff", &self.backoff)
                .field("ca_cert", &self.ca_cert)
                .field("progress", &self.progress.is_some())
                .field("allow_http", &self.allow_http)
                .finish()
        }
    }

    impl Default for HttpOptions {
        fn default() -> Self {
            HttpOptions {
                timeout: Duration::from_secs(60),
                retries: 2,
                backoff: Duration::from_millis(500),
                ca_cert: None,
                progress: None,
                allow_http: false,
            }
        }
    }

    /// A redirect from https:// to another scheme, refused.
    #[derive(Debug)]
    struct Downgraded(String);

    impl std::fmt::Display for Downgraded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "redirect from https:// to {}", self.0)
        }
    }

    impl std::error::Error for Downgraded {}

    #[derive(Debug)]
    struct TooManyRedirects;

    impl std::fmt::Display for TooManyRedirects {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("too many redirects")
        }
    }

    impl std::error::Error for TooManyRedirects {}

    fn downgrade_of(e: &reqwest::Error) -> Option<String> {
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            if let Some(d) = s.downcast_ref::<Downgraded>() {
                return Some(d.0.clone());
            }
            source = s.source();
        }
        None
    }

    /// A client with the timeouts, user agent and extra CA of `options`, TLS
    /// by rustls with ring unless the embedding program installed another
    /// provider; the system proxy is honoured. Redirects are the caller's.
    pub(crate) fn client_builder(
        options: &HttpOptions,
    ) -> Result<reqwest::blocking::ClientBuilder, String> {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Losing a race with another thread installing one is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(options.timeout)
            .timeout(options.timeout)
            // The same for every client: nothing here may depend on the numbers checked.
            .user_agent(concat!("hushlist/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &options.ca_cert {
            let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("{}: not a PEM certificate: {e}", path.display()))?;
            builder = builder.tls_certs_merge(certs);
        }
        Ok(builder)
    }

    /// What went wrong, with every cause, without the URL (reqwest's
    /// message names it, password included).
    pub(crate) fn error_text(e: reqwest::Error) -> String {
        let e = e.without_url();
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message = format!("{message}: {s}");
            source = s.source();
        }
        if message.contains("invalid peer certificate") {
            // rustls's enum names say little to whoever runs it.
            message.push_str(
                " (the server's certificate is not trusted here: give the certificate \
                 of the CA that issued it as an extra CA; a certificate made for the \
                 server alone, as `openssl req -x509` makes it, is refused as its own \
                 CA: make a CA and have it sign the server's certificate)",
            );
        }
        message
    }

    /// A mirror reached over HTTP(S), with the system proxy honoured.
    pub struct HttpTransport {
        base: String,
        /// The base as output shows it: any password in it hidden.
        shown: String,
        client: reqwest::blocking::Client,
        options: HttpOptions,
    }

    impl HttpTransport {
        /// A transport for the published directory at `base` (http:// or https://).
        pub fn new(base: &str, options: HttpOptions) -> Result<Self, String> {
            let source = SourceUrl::parse(base, options.allow_http).map_err(|e| e.to_string())?;
            let builder =
                client_builder(&options)?.redirect(reqwest::redirect::Policy::custom(|attempt| {
                    // Once on https://, stay there: a downgrade would let anyone on
                    // the path hide new statements and snapshots.
                    let from_https = attempt.previous().iter().any(|u| u.scheme() == "https");
                    if from_https && attempt.url().scheme() != "https" {
                        let to = crate::client::sources::redact(attempt.url().as_str());
                        attempt.error(Downgraded(to))
                    } else if attempt.previous().len() > 5 {
                        attempt.error(TooManyRedirects)
                    } else {
                        attempt.follow()
                    }
                }));
            let client = builder.build().map_err(|e| format!("HTTP client: {e}"))?;
            Ok(HttpTransport {
                base: source.as_str().to_string(),
                shown: source.shown(),
                client,
                options,
            })
        }

        fn attempt(&self, name: &str, max: u64, etag: Option<&str>) -> Result<Fetched, FetchError> {
            let url = format!("{}/{name}", self.base);
            let secs = self.options.timeout.as_secs();
            let started = Instant::now();
            let mut request = self.client.get(&url);
            if let Some(etag) = etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            let classify = |e: reqwest::Error| {
                if e.is_timeout() {
                    FetchError::Timeout {
                        name: name.into(),
                        secs,
                    }
                } else if let Some(to) = downgrade_of(&e) {
                    FetchError::Downgrade {
                        name: name.into(),
                        to,
                    }
                } else if e.is_redirect() {
                    FetchError::Redirects { name: name.into() }
                } else {
                    FetchError::Transport {
                        name: name.into(),
                        message: error_text(e),
                    }
                }
            };
            let response = request.send().map_err(classify)?;
            let status = response.status();
            if status == reqwest::StatusCode::NOT_MODIFIED && etag.is_some() {
                return Ok(Fetched::NotModified);
            }
            if status == reqwest::StatusCode::NOT_FOUND {
                return Err(FetchError::NotFound { name: name.into() });
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    name: name.into(),
                    status: status.as_u16(),
                });
            }
            let announced = response.content_length();
            if announced.is_some_and(|len| len > max) {
                return Err(FetchError::TooLarge {
                    name: name.into(),
                    max,
                });
            }
            let etag = response
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(String::from);
            let total = announced.unwrap_or(max);
            let progress = self.options.progress.as_ref().filter(|_| max > 1 << 20);
            let mut bytes = Vec::with_capacity(announced.unwrap_or(0).min(max) as usize);
            let mut reader = response.take(max + 1);
            let mut chunk = [0u8; 64 * 1024];
            loop {
                if started.elapsed() > self.options.timeout {
                    return Err(FetchError::Timeout {
                        name: name.into(),
                        secs,
                    });
                }
                let n = match reader.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                        return Err(FetchError::Timeout {
                            name: name.into(),
                            secs,
                        })
                    }
                    Err(e) => {
                        let got = bytes.len() as u64;
                        return Err(match announced {
                            Some(expected) if got < expected => FetchError::Truncated {
                                name: name.into(),
                                got,
                                expected,
                            },
                            _ => FetchError::Transport {
                                name: name.into(),
                                message: e.to_string(),
                            },
                        });
                    }
                };
                bytes.extend_from_slice(&chunk[..n]);
                if bytes.len() as u64 > max {
                    return Err(FetchError::TooLarge {
                        name: name.into(),
                        max,
                    });
                }
                if let Some(progress) = progress {
                    progress(name, bytes.len() as u64, total);
                }
            }
            if let Some(progress) = progress {
                progress(name, bytes.len() as u64, bytes.len() as u64);
            }
            if let Some(expected) = announced.filter(|&e| e != bytes.len() as u64) {
                return Err(FetchError::Truncated {
                    name: name.into(),
                    got: bytes.len() as u64,
                    expected,
                });
            }
            Ok(Fetched::Body { bytes, etag })
        }
    }

    fn transient(e: &FetchError) -> bool {
        matches!(
            e,
            FetchError::Timeout { .. }
                | FetchError::Transport { .. }
                | FetchError::Truncated { .. }
        ) || matches!(e, FetchError::Status { status, .. } if *status >= 500)
    }

    impl Transport for HttpTransport {
        fn describe(&self) -> String {
            self.shown.clone()
        }

        fn fetch(&self, name: &str, max: u64, etag: Option<&str>) -> Result<Fetched, FetchError> {
            let mut pause = self.options.backoff;
            let mut attempt = 0;
            loop {
                match self.attempt(name, max, etag) {
                    Err(e) if transient(&e) && attempt < self.options.retries => {
                        attempt += 1;
                        std::thread::sleep(pause);
                        pause *= 2;
                    }
                    result => return result,
                }
            }
        }
    }
}

//! Where updates come from: the one rule for a source URL, applied by `init`,
//! `sources add` and the HTTP transport alike, and the one way a source is
//! shown (a password in it never is).

/// A source URL that passed the rule: `https://`, or `http://` when plain HTTP
/// was allowed knowingly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceUrl {
    url: String,
}

/// Why a source URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// Neither `https://` nor `http://`.
    #[error("{shown}: a source must be an https:// (or, allowed knowingly, http://) URL")]
    NotHttp {
        /// The URL, password hidden.
        shown: String,
    },
    /// `http://` without the permission for it.
    #[error(
        "{shown}: a plain http:// source is neither encrypted nor authenticated and was not allowed \
         (signatures still decide what is installed, but anyone on the path sees what is fetched \
         and can withhold it)"
    )]
    HttpNotAllowed {
        /// The URL, password hidden.
        shown: String,
    },
    /// Nothing after the scheme.
    #[error("{shown}: no host after the scheme")]
    NoHost {
        /// The URL, password hidden.
        shown: String,
    },
}

impl SourceUrl {
    /// Applies the rule. `allow_http` is the state's (or the command's)
    /// explicit permission for plain `http://`.
    pub fn parse(url: &str, allow_http: bool) -> Result<Self, SourceError> {
        let shown = redact(url);
        let rest = if let Some(rest) = url.strip_prefix("https://") {
            rest
        } else if let Some(rest) = url.strip_prefix("http://") {
            if !allow_http {
                return Err(SourceError::HttpNotAllowed { shown });
            }
            rest
        } else {
            return Err(SourceError::NotHttp { shown });
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority.rsplit('@').next().unwrap_or("");
        if host.is_empty() || host.starts_with(':') {
            return Err(SourceError::NoHost { shown });
        }
        Ok(SourceUrl {
            url: url.trim_end_matches('/').to_string(),
        })
    }

    /// Plain `http://`: allowed, but worth a warning wherever it is used.
    pub fn is_plain_http(&self) -> bool {
        self.url.starts_with("http://")
    }

    /// The URL as given (without a trailing `/`), credentials included: for
    /// the request only, never for output.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The URL for output and errors: a password in it replaced by `***`.
    pub fn shown(&self) -> String {
        redact(&self.url)
    }
}

/// `url` with the password of its user information (`user:password@`)
/// replaced by `***`; the rest as it is. Applies to any text that starts with
/// a URL, so error messages that embed one can be shown too.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let authority_len = url[scheme_end..]
        .find(['/', '?', '#'])
        .unwrap_or(url.len() - scheme_end);
    let authority = &url[scheme_end..scheme_end + authority_len];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let user_info = &authority[..at];
    let user = match user_info.find(':') {
        Some(colon) => &user_info[..colon],
        None if user_info.is_empty() => return url.to_string(),
        // A lone user name can itself be a token (`https://TOKEN@host/`).
        None => "",
    };
    let hidden = if user.is_empty() {
        "***".to_string()
    } else {
        format!("{user}:***")
    };
    format!("{}{hidden}{}", &url[..scheme_end], &url[scheme_end + at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_passes_and_http_needs_the_permission() {
        assert!(SourceUrl::parse("https://lists.example/hush/", false).is_ok());
        assert_eq!(
            SourceUrl::parse("https://lists.example/hush/", false)
                .unwrap()
                .as_str(),
            "https://lists.example/hush"
        );
        assert!(matches!(
            SourceUrl::parse("http://lists.example/", false),
            Err(SourceError::HttpNotAllowed { .. })
        ));
        let plain = SourceUrl::parse("http://lists.example/", true).unwrap();
        assert!(plain.is_plain_http());
        assert!(matches!(
            SourceUrl::parse("ftp://lists.example/", true),
            Err(SourceError::NotHttp { .. })
        ));
        assert!(matches!(
            SourceUrl::parse("https:///path", true),
            Err(SourceError::NoHost { .. })
        ));
        assert!(matches!(
            SourceUrl::parse("https://user:pw@/path", true),
            Err(SourceError::NoHost { .. })
        ));
    }

    #[test]
    fn a_password_is_never_shown() {
        assert_eq!(
            redact("https://bob:s3cret@mirror.example/a@b"),
            "https://bob:***@mirror.example/a@b"
        );
        assert_eq!(
            redact("https://T0KEN@mirror.example/"),
            "https://***@mirror.example/"
        );
        assert_eq!(
            redact("https://mirror.example/x"),
            "https://mirror.example/x"
        );
        assert_eq!(redact("not a url"), "not a url");
        let err = SourceUrl::parse("http://bob:s3cret@mirror.example/", false).unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
        let url = SourceUrl::parse("https://bob:s3cret@mirror.example/", false).unwrap();
        assert_eq!(url.shown(), "https://bob:***@mirror.example");
    }
}

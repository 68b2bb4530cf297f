//! A small real HTTP/1.1 server on 127.0.0.1 for update tests, honest or
//! hostile, that records every request it receives. Each reply is bounded in
//! size and time, so no test can hang on it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub raw: String,
    /// The body, as its Content-Length announces it (at most 16 MiB).
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub enum Reply {
    /// A complete response.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Announces `announced` bytes, sends `body`, then closes.
    Truncated { announced: u64, body: Vec<u8> },
    /// No length, bytes until the client hangs up (at most 256 MiB or 20 s).
    Endless,
    /// The body one byte at a time, `delay` apart (at most 20 s).
    Drip { body: Vec<u8>, delay: Duration },
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply::Full {
            status,
            headers: vec![],
            body: format!("HTTP {status}\n").into_bytes(),
        }
    }
    pub fn redirect(to: &str) -> Reply {
        Reply::Full {
            status: 302,
            headers: vec![("Location".into(), to.into())],
            body: vec![],
        }
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct Server {
    pub port: u16,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (log2, stop2) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (handler, log) = (handler.clone(), log2.clone());
                std::thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        Server { port, log, stop }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    pub fn paths(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.path).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() || first.is_empty() {
        return;
    }
    let mut raw = first.clone();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        raw.push_str(&line);
        if let Some((k, v)) = line.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(16 << 20);
    let mut body = vec![0; length];
    if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
        return;
    }
    let request = Request {
        path,
        headers,
        raw,
        body,
    };
    log.lock().unwrap().push(request.clone());
    let mut out = stream;
    let started = Instant::now();
    let _ = match handler(&request) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            out.write_all(head.as_bytes())
                .and_then(|_| out.write_all(&body))
        }
        Reply::Truncated { announced, body } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n"
            );
            out.write_all(head.as_bytes())
                .and_then(|_| out.write_all(&body))
        }
        Reply::Endless => {
            let head = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
            let chunk = vec![0x41u8; 64 * 1024];
            let mut result = out.write_all(head.as_bytes());
            let mut sent = 0usize;
            while result.is_ok() && sent < 256 << 20 && started.elapsed() < Duration::from_secs(20)
            {
                result = out.write_all(&chunk);
                sent += chunk.len();
            }
            result
        }
        Reply::Drip { body, delay } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let mut result = out.write_all(head.as_bytes());
            for b in body {
                if result.is_err() || started.elapsed() > Duration::from_secs(20) {
                    break;
                }
                std::thread::sleep(delay);
                result = out.write_all(&[b]).and_then(|_| out.flush());
            }
            result
        }
    };
}

/// Serves files from `dir` with ETags and conditional GET, as a static host does.
pub fn static_files(dir: PathBuf) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |req| file_reply(&dir, req)
}

pub fn file_reply(dir: &std::path::Path, req: &Request) -> Reply {
    let name = req.path.trim_start_matches('/');
    if name.contains("..") || name.contains('/') {
        return Reply::status(404);
    }
    match std::fs::read(dir.join(name)) {
        Err(_) => Reply::status(404),
        Ok(body) => {
            let etag = format!("\"{}\"", &blake3::hash(&body).to_hex()[..16]);
            if req.header("If-None-Match") == Some(etag.as_str()) {
                return Reply::Full {
                    status: 304,
                    headers: vec![("ETag".into(), etag)],
                    body: vec![],
                };
            }
            Reply::Full {
                status: 200,
                headers: vec![("ETag".into(), etag)],
                body,
            }
        }
    }
}

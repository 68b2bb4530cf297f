//! FORMAT.md §5: a `.minisig` file is accepted by hushlist exactly when the
//! stock `minisign -V` accepts it. Each case rewrites a real signature's lines
//! and runs both programs on it; the expected verdict is stated too, so a
//! change of either program shows up.

use crate::common::*;

/// A published snapshot and the four lines of its signature, without line ends.
fn published() -> (Lab, std::path::PathBuf, Vec<Vec<u8>>) {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let snapshot = lab.path("pub/snapshot-00000001.hushlist");
    let sig = std::fs::read(lab.path("pub/snapshot-00000001.hushlist.minisig")).unwrap();
    let lines: Vec<Vec<u8>> = sig
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    assert_eq!(lines.len(), 4);
    (lab, snapshot, lines)
}

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Sets the unused low bits of the last base64 character before the padding.
fn with_trailing_bits(b64: &[u8]) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = b64.to_vec();
    let pads = out.iter().rev().take_while(|&&c| c == b'=').count();
    let i = out.len() - pads - 1;
    let unused = if pads == 1 { 0b11 } else { 0b1111 };
    let pos = ALPHABET.iter().position(|&c| c == out[i]).unwrap();
    out[i] = ALPHABET[pos | unused];
    assert_ne!(out, b64, "the unused bits were already set");
    out
}

#[test]
fn hushlist_accepts_exactly_what_minisign_accepts() {
    let (lab, snapshot, l) = published();
    let (u, s1, t, g) = (&l[0][..], &l[1][..], &l[2][..], &l[3][..]);
    let long_comment = |n: usize| {
        let mut line = b"untrusted comment: ".to_vec();
        line.resize(n, b'x');
        line
    };
    let (fits, too_long) = (long_comment(1022), long_comment(1023));
    let s1_bits = with_trailing_bits(s1);
    let g_bits = with_trailing_bits(g);
    let mut t_space = t.to_vec();
    t_space.push(b' ');
    let mut u_no_space = u.to_vec();
    u_no_space.truncate(b"untrusted comment:".len());
    let cases: Vec<(&str, bool, Vec<u8>)> = vec![
        (
            "as written",
            true,
            join(&[u, b"\n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "CRLF line ends",
            true,
            join(&[u, b"\r\n", s1, b"\r\n", t, b"\r\n", g, b"\r\n"]),
        ),
        (
            "no line end after the fourth line",
            true,
            join(&[u, b"\n", s1, b"\n", t, b"\n", g]),
        ),
        (
            "text after the fourth line",
            true,
            join(&[u, b"\n", s1, b"\n", t, b"\n", g, b"\nanything at all\n"]),
        ),
        (
            "blank lines after the fourth line",
            true,
            join(&[u, b"\n", s1, b"\n", t, b"\n", g, b"\n\n \n"]),
        ),
        (
            "unused base64 bits set in the signature",
            true,
            join(&[u, b"\n", &s1_bits, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "unused base64 bits set in the comment signature",
            true,
            join(&[u, b"\n", s1, b"\n", t, b"\n", &g_bits, b"\n"]),
        ),
        (
            "empty untrusted comment",
            true,
            join(&[b"untrusted comment: \n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "control characters in the untrusted comment",
            true,
            join(&[u, b"\t\x0b\x1b x\n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "CR inside the untrusted comment",
            true,
            join(&[u, b" a\rb\n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "untrusted comment line of 1023 bytes",
            true,
            join(&[&fits, b"\n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "text after a CR in the trusted comment line (not signed, not read)",
            true,
            join(&[u, b"\n", s1, b"\n", t, b"\rnot signed\n", g, b"\n"]),
        ),
        (
            "text after a CR on the fourth line",
            true,
            join(&[u, b"\n", s1, b"\n", t, b"\n", g, b"\rjunk\n"]),
        ),
        (
            "NUL after the fourth line's base64",
            true,
            join(&[u, b"\n", s1, b"\n", t, b"\n", g, b"\0junk\n"]),
        ),
        (
            "untrusted comment line of 1024 bytes",
            false,
            join(&[&too_long, b"\n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "blank line before the signature",
            false,
            join(&[u, b"\n\n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "whitespace-only line before the signature",
            false,
            join(&[u, b"\n \n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "blank first line",
            false,
            join(&[b"\n", u, b"\n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "trailing space after the signature",
            false,
            join(&[u, b"\n", s1, b" \n", t, b"\n", g, b"\n"]),
        ),
        (
            "trailing space before CRLF",
            false,
            join(&[u, b"\r\n", s1, b" \r\n", t, b"\r\n", g, b"\r\n"]),
        ),
        (
            "leading space before the signature",
            false,
            join(&[u, b"\n ", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "vertical tab after the signature",
            false,
            join(&[u, b"\n", s1, b"\x0b\n", t, b"\n", g, b"\n"]),
        ),
        (
            "tab after the comment signature",
            false,
            join(&[u, b"\n", s1, b"\n", t, b"\n", g, b"\t\n"]),
        ),
        (
            "trailing space after the comment signature",
            false,
            join(&[u, b"\n", s1, b"\n", t, b"\n", g, b" \n"]),
        ),
        (
            "trailing space in the trusted comment",
            false,
            join(&[u, b"\n", s1, b"\n", &t_space, b"\n", g, b"\n"]),
        ),
        (
            "untrusted prefix without its space",
            false,
            join(&[&u_no_space, b"\n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "trusted prefix in capitals",
            false,
            join(&[
                u,
                b"\n",
                s1,
                b"\n",
                b"Trusted",
                &t[b"trusted".len()..],
                b"\n",
                g,
                b"\n",
            ]),
        ),
        (
            "signature padding removed",
            false,
            join(&[u, b"\n", &s1[..s1.len() - 1], b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "comment signature padding removed",
            false,
            join(&[u, b"\n", s1, b"\n", t, b"\n", &g[..g.len() - 2], b"\n"]),
        ),
        (
            "NUL in the untrusted comment",
            false,
            join(&[u, b"\0\n", s1, b"\n", t, b"\n", g, b"\n"]),
        ),
        (
            "NUL in the trusted comment",
            false,
            join(&[u, b"\n", s1, b"\n", t, b"\0\n", g, b"\n"]),
        ),
        (
            "empty fourth line",
            false,
            join(&[u, b"\n", s1, b"\n", t, b"\n\n", g, b"\n"]),
        ),
        ("three lines", false, join(&[u, b"\n", s1, b"\n", t, b"\n"])),
    ];
    let sig_path = lab.path("pub/snapshot-00000001.hushlist.minisig");
    let mut disagreements = Vec::new();
    for (name, expected, bytes) in &cases {
        std::fs::write(&sig_path, bytes).unwrap();
        let minisign = run_program(
            "minisign",
            &["-V", "-q", "-p", s(&lab.public()), "-m", s(&snapshot)],
        );
        let ours = run(
            &hushlist(),
            &["verify", "--key", s(&lab.public()), s(&snapshot)],
        );
        assert!(
            ours.code == 0 || ours.code == 1,
            "{name}: hushlist exit {}: {}",
            ours.code,
            ours.stderr
        );
        let (m, h) = (minisign.code == 0, ours.code == 0);
        if m != *expected || h != *expected {
            disagreements.push(format!(
                "{name}: expected {}, minisign {} ({}), hushlist {} ({})",
                verdict(*expected),
                verdict(m),
                minisign.stderr.trim(),
                verdict(h),
                ours.stderr.trim()
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

fn verdict(accepted: bool) -> &'static str {
    if accepted {
        "accepted"
    } else {
        "refused"
    }
}

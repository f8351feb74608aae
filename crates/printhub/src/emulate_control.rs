//! `printhub emulate --control ADDR`: a small line protocol on a loopback
//! TCP socket that changes what a running emulator holds from outside
//! (issue #20), so a person or a test swaps tape without restarting it.
//!
//! One command per line, one answer line each:
//! - `media <id|none>` (with one emulated printer) or `media <n> <id|none>`
//!   (the n-th printer, from 1): the loaded medium changes at once, as a
//!   tape or roll change does; `ok <n> <media|none>`.
//! - `show`: `ok` and, per printer, `<n> <model> <media|none>`.
//!
//! Anything else, or a medium the model cannot take, is `error <why>` and
//! changes nothing. The socket takes no credentials, so it listens on
//! loopback only. Threading: one thread, one connection at a time.

use printhub_emulator::EmulatorHandle;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;

/// Binds `addr` (loopback only) and answers control connections on a
/// thread of its own, for as long as the process runs.
pub fn serve(addr: SocketAddr, handles: Arc<Vec<EmulatorHandle>>) -> anyhow::Result<SocketAddr> {
    if !addr.ip().is_loopback() {
        anyhow::bail!(
            "--control {addr}: the control socket takes no credentials, so it listens on loopback only (127.0.0.1 or [::1])"
        );
    }
    let listener = TcpListener::bind(addr)
        .map_err(|e| anyhow::anyhow!("--control {addr}: cannot listen: {e}"))?;
    let bound = listener.local_addr()?;
    std::thread::Builder::new()
        .name("emulate-control".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Err(e) = session(stream, &handles) {
                    log::warn!("control connection ended: {e}");
                }
            }
        })?;
    Ok(bound)
}

/// Answers every line of one connection.
fn session(stream: TcpStream, handles: &[EmulatorHandle]) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    for line in BufReader::new(stream).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "{}", answer(handles, &line))?;
        out.flush()?;
    }
    Ok(())
}

/// The answer to one command line (see the module docs).
pub fn answer(handles: &[EmulatorHandle], line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["show"] => {
            let printers: Vec<String> = handles
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    format!(
                        "{} {} {}",
                        i + 1,
                        h.model().name,
                        h.media().map_or("none", |m| m.id)
                    )
                })
                .collect();
            format!("ok {}", printers.join("; "))
        }
        ["media", media] if handles.len() == 1 => set_media(handles, 1, media),
        ["media", _] => format!(
            "error {} printers are emulated: name one, `media <n> <id|none>`",
            handles.len()
        ),
        ["media", n, media] => match n.parse::<usize>() {
            Ok(n) if (1..=handles.len()).contains(&n) => set_media(handles, n, media),
            _ => format!("error no printer {n:?}: 1 to {}", handles.len()),
        },
        _ => format!("error unknown command {line:?}: `media [<n>] <id|none>` or `show`"),
    }
}

/// Loads `media` (`none`: empties) into the `n`-th printer (from 1).
fn set_media(handles: &[EmulatorHandle], n: usize, media: &str) -> String {
    let Some(handle) = handles.get(n - 1) else {
        return format!("error no printer {n}");
    };
    let id = (!media.eq_ignore_ascii_case("none")).then_some(media);
    match handle.set_media(id) {
        Ok(()) => format!("ok {n} {}", handle.media().map_or("none", |m| m.id)),
        Err(e) => format!("error {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use printhub_emulator::{Emulator, EmulatorConfig};

    #[test]
    fn commands_change_the_loaded_media_and_bad_ones_change_nothing() {
        let pt = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("pt");
        let one = [pt];
        assert_eq!(answer(&one, "show"), "ok 1 PT-P750W tze-12");
        assert_eq!(answer(&one, "media tze-24"), "ok 1 tze-24");
        assert_eq!(one[0].media().map(|m| m.id), Some("tze-24"));
        assert_eq!(answer(&one, "media none"), "ok 1 none");
        assert_eq!(one[0].media(), None);
        assert_eq!(answer(&one, "media 1 tze-12"), "ok 1 tze-12");
        for bad in [
            "media dk-62",
            "media 2 tze-24",
            "media x tze-24",
            "tape tze-24",
            "media",
        ] {
            let got = answer(&one, bad);
            assert!(got.starts_with("error "), "{bad}: {got}");
            assert_eq!(one[0].media().map(|m| m.id), Some("tze-12"), "{bad}");
        }
        let [pt] = one;
        let ql = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("ql");
        let two = [pt, ql];
        assert!(answer(&two, "media tze-24").starts_with("error 2 printers"));
        assert_eq!(answer(&two, "media 2 dk-29x90"), "ok 2 dk-29x90");
        assert_eq!(
            answer(&two, "show"),
            "ok 1 PT-P750W tze-12; 2 QL-820NWB dk-29x90"
        );
    }
}

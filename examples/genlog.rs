//! Generates large, time-ordered Postfix logs for benchmarks: per host a live
//! `maillog`, `maillog.1` and `maillog.2.gz`, one day each, with mtimes set to
//! each file's last line, filled with realistic message lifecycles (relayed,
//! deferred, bounced, refused) and a few traceable messages buried in them.
//!
//! ```text
//! cargo run --release --example genlog -- --out DIR [--hosts 7] [--file-mb 76]
//!     [--files live,1,gz] [--end 2026-11-28T22:00:00Z] [--chain 3]
//! ```
//!
//! Host `i` is `hNN` (`hNN.bench.example.edu`, 10.200.0.(10+i) in the logs,
//! reached over SSH at 127.0.0.(10+i) by the benchmark). Each traceable
//! message ("needle") enters `h00` from outside, is relayed host to host along
//! the first `--chain` hosts and is delivered on the last; `DIR/needles.json`
//! lists them with their keyword, Message-ID, time, queue IDs and hosts.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;

/// Average bytes one filler message writes (measured on the output).
const BYTES_PER_MESSAGE: f64 = 812.0;

struct Args {
    out: PathBuf,
    hosts: usize,
    file_mb: f64,
    files: Vec<String>,
    end: DateTime<Utc>,
    chain: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::new(),
        hosts: 7,
        file_mb: 76.0,
        files: vec!["live".into(), "1".into(), "gz".into()],
        end: DateTime::parse_from_rfc3339("2026-11-28T22:00:00Z")
            .map_err(|e| e.to_string())?
            .with_timezone(&Utc),
        chain: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--out" => args.out = PathBuf::from(&value),
            "--hosts" => args.hosts = value.parse().map_err(|e| bad(&e))?,
            "--file-mb" => args.file_mb = value.parse().map_err(|e| bad(&e))?,
            "--files" => args.files = value.split(',').map(str::to_string).collect(),
            "--end" => {
                args.end = DateTime::parse_from_rfc3339(&value)
                    .map_err(|e| bad(&e))?
                    .with_timezone(&Utc)
            }
            "--chain" => args.chain = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if args.out.as_os_str().is_empty() {
        return Err("--out DIR is required".into());
    }
    if args.hosts == 0 || args.hosts > 200 {
        return Err("--hosts must be 1..=200".into());
    }
    for f in &args.files {
        if !["live", "1", "gz"].contains(&f.as_str()) {
            return Err(format!("--files: unknown file kind {f} (live, 1, gz)"));
        }
    }
    Ok(args)
}

/// xorshift64*: a fixed, dependency-free stream of filler choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A traceable message: where it goes and the queue ID it has on each host.
struct Needle {
    tag: String,
    time: DateTime<Utc>,
    hosts: Vec<usize>,
    queue_ids: Vec<String>,
}

impl Needle {
    fn recipient(&self) -> String {
        format!("{}@bench.example.edu", self.tag)
    }

    fn message_id(&self) -> String {
        format!("<{}.20261128@outside.example.org>", self.tag)
    }
}

fn host_name(i: usize) -> String {
    format!("h{i:02}")
}

/// Where the benchmark reaches host `i` over SSH (a loopback address).
fn ssh_address(i: usize) -> String {
    format!("127.0.0.{}", 10 + i)
}

/// The address host `i` has in the logs (a site address: loopback in a
/// relay line would read as a hand-over on the same host).
fn host_ip(i: usize) -> String {
    format!("10.200.0.{}", 10 + i)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%b %e %H:%M:%S").to_string()
}

/// The lines a needle leaves on its `k`-th host.
fn needle_lines(n: &Needle, k: usize, out: &mut Vec<(DateTime<Utc>, String)>) {
    let host = n.hosts[k];
    let h = host_name(host);
    let q = &n.queue_ids[k];
    let t = n.time + Duration::seconds(k as i64);
    let client = match k {
        0 => "outside.example.org[198.51.100.7]".to_string(),
        _ => {
            let prev = n.hosts[k - 1];
            format!("{}.bench.example.edu[{}]", host_name(prev), host_ip(prev))
        }
    };
    let mut push = |line: String| out.push((t, format!("{} {h} {line}\n", stamp(t))));
    push(format!("postfix/smtpd[4100]: {q}: client={client}"));
    push(format!(
        "postfix/cleanup[4101]: {q}: message-id={}",
        n.message_id()
    ));
    push(format!(
        "postfix/qmgr[1021]: {q}: from=<alice@outside.example.org>, size=4242, nrcpt=1 (queue active)"
    ));
    let last = k + 1 == n.hosts.len();
    if last {
        push(format!(
            "postfix/virtual[4102]: {q}: to=<{}>, relay=virtual, delay=0.12, delays=0.05/0.01/0/0.06, dsn=2.0.0, status=sent (delivered to maildir)",
            n.recipient()
        ));
    } else {
        let next = n.hosts[k + 1];
        push(format!(
            "postfix/smtp[4103]: {q}: to=<{}>, relay={}.bench.example.edu[{}]:25, delay=0.31, delays=0.05/0.01/0.1/0.15, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {})",
            n.recipient(),
            host_name(next),
            host_ip(next),
            n.queue_ids[k + 1]
        ));
    }
    push(format!("postfix/qmgr[1021]: {q}: removed"));
}

/// One filler message: mostly relayed out, some deferred, bounced or refused.
fn filler(
    w: &mut impl Write,
    rng: &mut Rng,
    host: usize,
    serial: u64,
    t: DateTime<Utc>,
) -> std::io::Result<()> {
    let ts = stamp(t);
    let h = host_name(host);
    let q = format!("{:03X}{:08X}", 0x100 + host, serial);
    let c = rng.below(4000);
    let client = format!("client{c}.example.org[198.51.100.{}]", c % 250);
    let pid = 5000 + rng.below(20000);
    writeln!(w, "{ts} {h} postfix/smtpd[{pid}]: connect from {client}")?;
    if rng.below(15) == 0 {
        writeln!(w, "{ts} {h} postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from {client}: 554 5.7.1 <user{}@example.net>: Relay access denied; from=<s{c}@example.org> to=<user{}@example.net> proto=ESMTP helo=<client{c}.example.org>", rng.below(9000), rng.below(9000))?;
        writeln!(w, "{ts} {h} postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4")?;
        return Ok(());
    }
    writeln!(w, "{ts} {h} postfix/smtpd[{pid}]: {q}: client={client}")?;
    writeln!(
        w,
        "{ts} {h} postfix/cleanup[{}]: {q}: message-id=<{serial}.{host}.{}@client{c}.example.org>",
        pid + 1,
        rng.next() % 1_000_000_007
    )?;
    writeln!(w, "{ts} {h} postfix/qmgr[1021]: {q}: from=<s{c}@example.org>, size={}, nrcpt=1 (queue active)", 1000 + rng.below(90000))?;
    writeln!(w, "{ts} {h} postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5")?;
    let to = format!("user{}@example.net", rng.below(9000));
    let mx = rng.below(60);
    let relay = format!("mx{mx}.example.net[203.0.113.{}]:25", mx + 1);
    let spid = pid + 2;
    match rng.below(40) {
        0 => {
            writeln!(w, "{ts} {h} postfix/smtp[{spid}]: {q}: to=<{to}>, relay=none, delay=30, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to {relay}: Connection timed out)")?;
        }
        1 => {
            writeln!(w, "{ts} {h} postfix/smtp[{spid}]: {q}: to=<{to}>, relay={relay}, delay=0.5, delays=0.1/0.01/0.2/0.19, dsn=5.1.1, status=bounced (host mx{mx}.example.net[203.0.113.{}] said: 550 5.1.1 <{to}>: Recipient address rejected: User unknown (in reply to RCPT TO command))", mx + 1)?;
            writeln!(
                w,
                "{ts} {h} postfix/bounce[{}]: {q}: sender non-delivery notification: {:03X}{:08X}",
                spid + 1,
                0x800 + host,
                serial
            )?;
            writeln!(w, "{ts} {h} postfix/qmgr[1021]: {q}: removed")?;
        }
        _ => {
            writeln!(w, "{ts} {h} postfix/smtp[{spid}]: {q}: to=<{to}>, relay={relay}, delay=0.41, delays=0.1/0.01/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {:X})", rng.next() >> 20)?;
            writeln!(w, "{ts} {h} postfix/qmgr[1021]: {q}: removed")?;
        }
    }
    Ok(())
}

/// Writes one day of log ending at `end` to `path`, with the needle lines of
/// that day in place, and sets the file's mtime to its last line.
fn write_day(
    path: &Path,
    gz: bool,
    host: usize,
    end: DateTime<Utc>,
    bytes: f64,
    needles: &[(DateTime<Utc>, String)],
    serial: &mut u64,
) -> std::io::Result<()> {
    let file = File::create(path)?;
    let mut w: Box<dyn Write> = if gz {
        Box::new(BufWriter::with_capacity(
            1 << 20,
            GzEncoder::new(file, Compression::default()),
        ))
    } else {
        Box::new(BufWriter::with_capacity(1 << 20, file))
    };
    let messages = (bytes / BYTES_PER_MESSAGE).max(1.0) as u64;
    let start = end - Duration::days(1);
    let step_ms = 86_400_000.0 / messages as f64;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((host as u64 + 1) << 32) ^ end.timestamp() as u64);
    let mut pending = needles
        .iter()
        .filter(|(t, _)| *t > start && *t <= end)
        .peekable();
    for i in 0..messages {
        let t = start + Duration::milliseconds((i as f64 * step_ms) as i64 + 1000);
        while let Some((nt, line)) = pending.next_if(|(nt, _)| *nt <= t) {
            let _ = nt;
            w.write_all(line.as_bytes())?;
        }
        *serial += 1;
        filler(&mut w, &mut rng, host, *serial, t)?;
    }
    for (_, line) in pending {
        w.write_all(line.as_bytes())?;
    }
    w.flush()?;
    drop(w);
    File::options()
        .write(true)
        .open(path)?
        .set_modified(SystemTime::from(end))?;
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("genlog: {e}");
            std::process::exit(2);
        }
    };
    let chain: Vec<usize> = (0..args.chain.clamp(1, args.hosts)).collect();
    // one needle two hours before the end (live file), one yesterday noon (.1)
    let needles: Vec<Needle> = [
        ("needle-live", Duration::hours(2)),
        ("needle-old", Duration::hours(34)),
    ]
    .iter()
    .enumerate()
    .map(|(n, (tag, before))| Needle {
        tag: tag.to_string(),
        time: args.end - *before,
        hosts: chain.clone(),
        queue_ids: chain
            .iter()
            .map(|h| format!("FF{n:01X}{h:02X}{:06X}", 0xABCDE))
            .collect(),
    })
    .collect();
    let mut manifest = Vec::new();
    for host in 0..args.hosts {
        let dir = args.out.join(host_name(host));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("genlog: {}: {e}", dir.display());
            std::process::exit(1);
        }
        let mut lines = Vec::new();
        for n in &needles {
            if let Some(k) = n.hosts.iter().position(|h| *h == host) {
                needle_lines(n, k, &mut lines);
            }
        }
        lines.sort_by_key(|(t, _)| *t);
        let mut serial = 0;
        for (age, kind) in ["live", "1", "gz"].iter().enumerate() {
            if !args.files.iter().any(|f| f == kind) {
                continue;
            }
            let name = match *kind {
                "live" => "maillog",
                "1" => "maillog.1",
                _ => "maillog.2.gz",
            };
            let path = dir.join(name);
            let end = args.end - Duration::days(age as i64);
            let written = write_day(
                &path,
                *kind == "gz",
                host,
                end,
                args.file_mb * 1e6,
                &lines,
                &mut serial,
            );
            if let Err(e) = written {
                eprintln!("genlog: {}: {e}", path.display());
                std::process::exit(1);
            }
            manifest.push(path);
        }
    }
    let json = serde_json::json!({
        "hosts": (0..args.hosts).map(|i| serde_json::json!({
            "name": host_name(i),
            "fqdn": format!("{}.bench.example.edu", host_name(i)),
            "address": ssh_address(i),
            "log_ip": host_ip(i),
            "dir": args.out.join(host_name(i)),
        })).collect::<Vec<_>>(),
        "needles": needles.iter().map(|n| serde_json::json!({
            "keyword": n.recipient(),
            "message_id": n.message_id(),
            "time": n.time.to_rfc3339(),
            "hosts": n.hosts.iter().map(|h| host_name(*h)).collect::<Vec<_>>(),
            "queue_ids": n.queue_ids,
        })).collect::<Vec<_>>(),
        "files": manifest,
        "end": args.end.to_rfc3339(),
        "file_mb": args.file_mb,
    });
    let path = args.out.join("needles.json");
    if let Err(e) = std::fs::write(&path, format!("{json:#}\n")) {
        eprintln!("genlog: {}: {e}", path.display());
        std::process::exit(1);
    }
}

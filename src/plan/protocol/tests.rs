//! Round trips: the emitting `sh` text runs under a real `sh`, and the
//! reading side must get back what was printed.

use super::*;
use crate::parse::is_queue_id;

/// Runs `script` under `sh` after the protocol's functions; its stdout.
fn sh(script: &str) -> String {
    let text = format!(
        "LC_ALL=C; export LC_ALL\n{}{}{}{script}",
        sh_mark(),
        sh_readers(),
        sh_isqid()
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&text)
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn search_markers_round_trip() {
    let mut script = String::from("p=2; m=1700000000; s=4096; n='/logs/mail  log*'\n");
    for mark in [FileMark::Search, FileMark::Skip, FileMark::NoTool] {
        script.push_str(&sh_mark_file(mark));
        script.push('\n');
    }
    script.push_str("mark end 1; mark nofiles; mark done\n");
    let out = sh(&script);
    let read: Vec<Control> = out.lines().map(|l| read_control(l).unwrap()).collect();
    let stat = Stat {
        mtime: 1_700_000_000,
        size: 4096,
        path: "/logs/mail  log*".into(),
    };
    let file = |mark| Control::File {
        pass: 2,
        mark,
        stat: stat.clone(),
    };
    assert_eq!(
        read,
        [
            file(FileMark::Search),
            file(FileMark::Skip),
            file(FileMark::NoTool),
            Control::End { status: 1 },
            Control::NoFiles,
            Control::Done,
        ]
    );
}

#[test]
fn probe_markers_round_trip() {
    let out = sh(
        "mark clock 42; mark tool grep; mark log unreadable '7 8 /l/m 1'\n\
         mark firstfile '/l/m 1'; mark first 'Nov 1 h  x: ##mailtrace done'\n",
    );
    let read: Vec<Control> = out.lines().map(|l| read_control(l).unwrap()).collect();
    assert_eq!(
        read,
        [
            Control::Clock(Some(42)),
            Control::Tool("grep".into()),
            Control::Log {
                readable: false,
                stat: Stat {
                    mtime: 7,
                    size: 8,
                    path: "/l/m 1".into()
                }
            },
            Control::FirstFile("/l/m 1".into()),
            Control::First("Nov 1 h  x: ##mailtrace done".into()),
        ]
    );
}

#[test]
fn data_lines_never_read_as_markers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("maillog");
    std::fs::write(&path, "##mailtrace done\nplain: line\n").unwrap();
    let out = sh(&format!("rd '{}' -e mailtrace -e plain\n", path.display()));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(read_control(lines[0]), None);
    assert_eq!(read_numbered(lines[0]), (1, "##mailtrace done"));
    assert_eq!(read_numbered(lines[1]), (2, "plain: line"));
    assert_eq!(read_numbered("no number"), (0, "no number"));
}

#[test]
fn every_table_entry_decompresses_with_its_tool() {
    let out =
        sh("for t in gzip xz bzip2 zstd; do command -v $t >/dev/null 2>&1 && echo $t; done\n");
    let dir = tempfile::tempdir().unwrap();
    for d in DECOMPRESSORS
        .iter()
        .filter(|d| out.lines().any(|t| t == d.tool))
    {
        let plain = dir.path().join("maillog");
        std::fs::write(&plain, "a line\n").unwrap();
        let status = std::process::Command::new(d.tool)
            .arg(if d.tool == "zstd" { "-q" } else { "-f" })
            .arg(&plain)
            .status()
            .unwrap();
        assert!(status.success(), "{}", d.tool);
        let packed = format!("{}{}", plain.display(), d.suffix);
        assert_eq!(decompressor(&packed), Some(d));
        let found = sh(&format!("tool '{packed}' && rd '{packed}' -e line\n"));
        assert_eq!(found, "1:a line\n", "{}", d.tool);
        let _ = std::fs::remove_file(&plain);
        std::fs::remove_file(&packed).unwrap();
    }
    assert_eq!(decompressor("/l/maillog"), None);
    assert_eq!(sh_compressed_pattern(), "*.gz|*.xz|*.bz2|*.zst");
}

#[test]
fn the_script_and_the_parser_agree_on_queue_ids() {
    let words = [
        "544379A61C6",
        "544379a61c6",
        "ABCDE",
        "4Bs2sY3GXyz1Mf",
        "3pJjgB6dpKz1JBPW",
        "G1003CC0007",
        "4N8QZK0TY2",
        "12345678901234",
        "12345678901234567890",
        "123456789012345678901",
        "NOQUEUE",
        "ABCD",
        "Abcde",
        "statistics",
        "warning",
        "abcdefghijklmn",
        "4Bs2-Y3GXyz1Mf",
        "(01234-01)",
        "A B C D E",
        "*",
        "",
    ];
    let mut script = String::new();
    for w in words {
        script.push_str(&format!("isqid '{w}' && echo yes || echo no\n"));
    }
    let out = sh(&script);
    let answers: Vec<bool> = out.lines().map(|l| l == "yes").collect();
    let expected: Vec<bool> = words.iter().map(|w| is_queue_id(w)).collect();
    assert_eq!(answers, expected, "{words:?}");
    assert!(answers[..9].iter().all(|a| *a));
}

//! Reads the search script's output (over SSH or from a local `sh`): splits
//! byte chunks into lines (chunks do not align with lines), follows the
//! control lines of [`crate::plan::protocol`], and hands log lines on.

use std::sync::Arc;

use super::{FileInfo, FileState, HostReport, RawLine};
use crate::plan::protocol::{read_control, read_numbered, Control, FileMark};

/// Longest log line kept; longer lines are cut (Postfix lines are < 2 KiB).
const MAX_LINE: usize = 64 * 1024;

/// Turns a stream of output chunks into [`RawLine`]s and file records.
pub struct OutputReader<'a> {
    host: Arc<str>,
    sink: &'a mut (dyn FnMut(RawLine) + Send),
    pending: Vec<u8>,
    file: Option<Arc<FileInfo>>,
    /// The script printed its final marker.
    pub done: bool,
    /// The host had no file matching its globs.
    pub no_files: bool,
    /// Lines that made no sense (not a control line, no current file).
    pub stray: u64,
}

impl<'a> OutputReader<'a> {
    pub fn new(host: Arc<str>, sink: &'a mut (dyn FnMut(RawLine) + Send)) -> Self {
        OutputReader {
            host,
            sink,
            pending: Vec::new(),
            file: None,
            done: false,
            no_files: false,
            stray: 0,
        }
    }

    /// Feeds one chunk of output.
    pub fn feed(&mut self, chunk: &[u8], report: &mut HostReport) {
        let mut rest = chunk;
        while let Some(pos) = rest.iter().position(|b| *b == b'\n') {
            let (head, tail) = rest.split_at(pos);
            if self.pending.is_empty() {
                self.line(head, report);
            } else {
                self.push_pending(head);
                let line = std::mem::take(&mut self.pending);
                self.line(&line, report);
            }
            rest = &tail[1..];
        }
        self.push_pending(rest);
    }

    /// Ends the stream: a last line without a newline is still a line.
    pub fn finish(&mut self, report: &mut HostReport) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.line(&line, report);
        }
    }

    fn push_pending(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.pending.len());
        self.pending
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn line(&mut self, bytes: &[u8], report: &mut HostReport) {
        let bytes = &bytes[..bytes.len().min(MAX_LINE)];
        let text = String::from_utf8_lossy(bytes);
        if let Some(control) = read_control(&text) {
            self.control(control, report);
            return;
        }
        let Some(file) = &self.file else {
            if !text.trim().is_empty() {
                self.stray += 1;
            }
            return;
        };
        let (number, line) = read_numbered(&text);
        report.lines += 1;
        (self.sink)(RawLine {
            host: self.host.clone(),
            file: file.clone(),
            number,
            text: line.to_string(),
        });
    }

    fn control(&mut self, control: Control, report: &mut HostReport) {
        match control {
            Control::File { pass, mark, stat } => {
                let state = match mark {
                    FileMark::Search => FileState::Searched,
                    FileMark::NoTool => FileState::NoTool,
                    FileMark::Skip => FileState::Skipped,
                };
                let info = Arc::new(FileInfo {
                    mtime: stat.mtime_utc(),
                    path: stat.path,
                    size: stat.size,
                    state,
                    pass,
                });
                if state == FileState::Searched {
                    report.bytes_searched += stat.size;
                    self.file = Some(info.clone());
                } else {
                    self.file = None;
                }
                report.files.push((*info).clone());
            }
            Control::End { status } => {
                if status > 1 {
                    let path = self
                        .file
                        .as_ref()
                        .map(|f| f.path.clone())
                        .unwrap_or_default();
                    let note = format!("grep failed on {path} (status {status})");
                    report.error = Some(match report.error.take() {
                        Some(e) => format!("{e}; {note}"),
                        None => note,
                    });
                }
                self.file = None;
            }
            Control::NoFiles => self.no_files = true,
            Control::Done => self.done = true,
            _ => self.stray += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Lines(Mutex<Vec<(String, String)>>);
    impl Lines {
        fn line(&self, line: RawLine) {
            self.0
                .lock()
                .unwrap()
                .push((format!("{}:{}", line.file.path, line.number), line.text));
        }
    }

    #[test]
    fn lines_split_across_chunks_are_joined() {
        let sink = Lines::default();
        let mut report = HostReport::new("h1");
        let mut emit = |l| sink.line(l);
        let mut reader = OutputReader::new("h1".into(), &mut emit);
        let output = b"##mailtrace file 1 search 100 2000 /var/log/maillog\n1:Nov 1 a line\n7:Nov 1 other\n##mailtrace end 0\n##mailtrace file 1 skip 50 10 /var/log/maillog.1\n##mailtrace done\n";
        for chunk in output.chunks(7) {
            reader.feed(chunk, &mut report);
        }
        reader.finish(&mut report);
        let lines = sink.0.lock().unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            ("/var/log/maillog:1".into(), "Nov 1 a line".into())
        );
        assert_eq!(
            lines[1],
            ("/var/log/maillog:7".into(), "Nov 1 other".into())
        );
        assert!(reader.done);
        assert_eq!(report.files.len(), 2);
        assert_eq!(report.files[1].state, FileState::Skipped);
        assert_eq!(report.bytes_searched, 2000);
        assert!(report.error.is_none());
    }

    #[test]
    fn grep_errors_are_reported_and_names_with_spaces_survive() {
        let sink = Lines::default();
        let mut report = HostReport::new("h1");
        let mut emit = |l| sink.line(l);
        let mut reader = OutputReader::new("h1".into(), &mut emit);
        reader.feed(
            b"##mailtrace file 2 search 1 2 /logs/mail log\n##mailtrace end 2\n",
            &mut report,
        );
        assert_eq!(report.files[0].path, "/logs/mail log");
        assert_eq!(report.files[0].pass, 2);
        assert!(report.error.as_deref().unwrap().contains("status 2"));
        assert!(!reader.done);
    }

    #[test]
    fn overlong_lines_are_cut_not_kept_whole() {
        let sink = Lines::default();
        let mut report = HostReport::new("h1");
        let mut emit = |l| sink.line(l);
        let mut reader = OutputReader::new("h1".into(), &mut emit);
        reader.feed(b"##mailtrace file 1 search 1 2 /l\n", &mut report);
        reader.feed(b"3:", &mut report);
        let long = vec![b'x'; MAX_LINE * 3];
        for chunk in long.chunks(1000) {
            reader.feed(chunk, &mut report);
        }
        reader.feed(b"\n", &mut report);
        assert_eq!(sink.0.lock().unwrap()[0].1.len(), MAX_LINE - 2);
    }
}

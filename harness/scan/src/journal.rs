//! The journal: an append-only JSON-lines file of every object a run
//! created, written before the harness acts on the response that created
//! it, so that `placement-harness cleanup --run-id ID` can remove the
//! objects of a run that crashed or was killed.
//!
//! Each line is one JSON object with an `event`: `start` (run id, target),
//! `created` (an [`Entry`]), `done` (cleanup left nothing). Every line is
//! flushed and synced to disk before [`Journal::record`] returns. A crash
//! in the middle of a write leaves at most a truncated last line, which
//! reading skips; a corrupt line anywhere else is an error naming it.
//!
//! Default place: `$XDG_STATE_HOME/placement-harness/runs/<run-id>.jsonl`
//! (`~/.local/state/...` without it). A journal whose cleanup left nothing
//! is renamed `<run-id>.jsonl.done`, so that it is kept for the record and
//! no longer listed.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::run_id::RunId;

/// What kind of object an [`Entry`] is; cleanup deletes by kind in a safe
/// order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A consumer and its allocations (`DELETE /allocations/{uuid}`).
    Consumer,
    /// A resource provider (its inventories, traits and aggregate
    /// associations go with it).
    Provider,
    /// Inventory set on a provider (`parent`).
    Inventory,
    /// Traits set on a provider (`parent`).
    ProviderTraits,
    /// Aggregates associated with a provider (`parent`).
    Aggregates,
    /// A custom trait.
    Trait,
    /// A custom resource class.
    ResourceClass,
}

impl ObjectKind {
    /// The snake_case name, as in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Consumer => "consumer",
            ObjectKind::Provider => "provider",
            ObjectKind::Inventory => "inventory",
            ObjectKind::ProviderTraits => "provider_traits",
            ObjectKind::Aggregates => "aggregates",
            ObjectKind::Trait => "trait",
            ObjectKind::ResourceClass => "resource_class",
        }
    }

    /// An object with an id of its own (provider, consumer, trait, class),
    /// not an association that lives and dies with its provider.
    pub fn stands_alone(self) -> bool {
        matches!(
            self,
            ObjectKind::Provider
                | ObjectKind::Consumer
                | ObjectKind::Trait
                | ObjectKind::ResourceClass
        )
    }
}

/// Whether `id` is a UUID in Placement's own spelling (lower-case,
/// dashed): the only form a path names for sure, so the only one cleanup
/// may trust and a write may be journaled ahead in.
pub fn canonical_uuid(id: &str) -> bool {
    uuid::Uuid::try_parse(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

/// One object the run created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// What it is.
    pub kind: ObjectKind,
    /// Its UUID (providers, consumers) or name (classes, traits); for
    /// associations, the provider's UUID.
    pub id: String,
    /// The path, relative to the target's base URL, that deletes it
    /// (`/resource_providers/{uuid}`).
    pub path: String,
    /// The provider it belongs to: a provider's parent (children are
    /// deleted first), or the provider of an association.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

impl Entry {
    /// An entry of `kind` for `id`, deleted at `path`.
    pub fn new(kind: ObjectKind, id: &str, path: &str) -> Entry {
        Entry {
            kind,
            id: id.to_owned(),
            path: path.to_owned(),
            parent: None,
        }
    }

    /// The same entry with a parent provider.
    pub fn with_parent(mut self, parent: Option<&str>) -> Entry {
        self.parent = parent.map(str::to_owned);
        self
    }
}

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Line {
    Start {
        run_id: String,
        target: String,
        started_unix: u64,
    },
    Created(Entry),
    Done,
}

/// What went wrong with a journal file; every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Neither `--journal-dir`, `XDG_STATE_HOME` nor `HOME` says where.
    #[error("no place for journals: set --journal-dir, XDG_STATE_HOME or HOME")]
    NoDir,
    /// No journal for this run id.
    #[error("no journal for run {run_id} at {path} (see `placement-harness cleanup --list`)")]
    NotFound {
        /// The run id asked for.
        run_id: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A journal for this run id exists already.
    #[error("a journal for run {run_id} exists already at {path}")]
    Exists {
        /// The run id.
        run_id: String,
        /// The file.
        path: PathBuf,
    },
    /// Reading, writing or creating failed.
    #[error("journal {path}: {reason}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A line that is not a journal record (not the last, truncated one).
    #[error("journal {path}:{line}: not a journal record: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the JSON reader said.
        reason: String,
    },
    /// The file belongs to another run.
    #[error("journal {path}: it is the journal of run {found}, not {expected}")]
    WrongRun {
        /// The file.
        path: PathBuf,
        /// The run id asked for.
        expected: String,
        /// The run id in the file.
        found: String,
    },
}

/// A run's journal, open for appending.
#[derive(Debug)]
pub struct Journal {
    run_id: RunId,
    path: PathBuf,
    target: String,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: File,
    entries: Vec<Entry>,
}

/// A journal found in a folder, for `cleanup --list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalSummary {
    /// Its run id.
    pub run_id: String,
    /// The file.
    pub path: PathBuf,
    /// The target it was written against.
    pub target: String,
    /// Objects by kind.
    pub counts: Vec<(ObjectKind, usize)>,
    /// Why it could not be read, if it could not.
    pub error: Option<String>,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> JournalError {
    JournalError::Io {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

impl Journal {
    /// `$XDG_STATE_HOME/placement-harness/runs`, or
    /// `$HOME/.local/state/placement-harness/runs`.
    pub fn default_dir() -> Result<PathBuf, JournalError> {
        let base = match std::env::var_os("XDG_STATE_HOME") {
            Some(d) if !d.is_empty() && Path::new(&d).is_absolute() => PathBuf::from(d),
            _ => match std::env::var_os("HOME") {
                Some(h) if !h.is_empty() => PathBuf::from(h).join(".local/state"),
                _ => return Err(JournalError::NoDir),
            },
        };
        Ok(base.join("placement-harness").join("runs"))
    }

    /// Where the journal of `run_id` lives in `dir`.
    pub fn path_in(dir: &Path, run_id: RunId) -> PathBuf {
        dir.join(format!("{run_id}.jsonl"))
    }

    /// Creates the journal of a new run in `dir` (made if missing) and
    /// writes its `start` line.
    pub fn create(dir: &Path, run_id: RunId, target: &str) -> Result<Journal, JournalError> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let path = Self::path_in(dir, run_id);
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    JournalError::Exists {
                        run_id: run_id.as_str(),
                        path: path.clone(),
                    }
                } else {
                    io_err(&path, e)
                }
            })?;
        let journal = Journal {
            run_id,
            path,
            target: target.to_owned(),
            inner: Mutex::new(Inner {
                file,
                entries: Vec::new(),
            }),
        };
        let started_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        journal.write_line(
            &mut journal.lock(),
            &Line::Start {
                run_id: run_id.as_str(),
                target: target.to_owned(),
                started_unix,
            },
        )?;
        Ok(journal)
    }

    /// Opens the journal of `run_id` in `dir` for cleanup: reads every
    /// entry (skipping a truncated last line) and appends from there.
    pub fn open_existing(dir: &Path, run_id: RunId) -> Result<Journal, JournalError> {
        let path = Self::path_in(dir, run_id);
        if !path.is_file() {
            return Err(JournalError::NotFound {
                run_id: run_id.as_str(),
                path,
            });
        }
        let read = read_lines(&path)?;
        let (found, target, entries) = (read.run_id, read.target, read.entries);
        if let Some(found) = found.filter(|f| *f != run_id.as_str()) {
            return Err(JournalError::WrongRun {
                path,
                expected: run_id.as_str(),
                found,
            });
        }
        let mut file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        // A line cut short by a crash is dropped before appending, so that
        // ours do not join it into one corrupt line.
        let len = file.metadata().map_err(|e| io_err(&path, e))?.len();
        if len > read.good_len {
            file.set_len(read.good_len).map_err(|e| io_err(&path, e))?;
        }
        if read.needs_newline {
            file.write_all(b"\n").map_err(|e| io_err(&path, e))?;
        }
        Ok(Journal {
            run_id,
            path,
            target,
            inner: Mutex::new(Inner { file, entries }),
        })
    }

    /// The journals (`*.jsonl`) in `dir`, sorted by run id; an unreadable
    /// one is listed with its error.
    pub fn list(dir: &Path) -> Result<Vec<JournalSummary>, JournalError> {
        let read = match std::fs::read_dir(dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(dir, e)),
        };
        let mut out = Vec::new();
        for item in read {
            let item = item.map_err(|e| io_err(dir, e))?;
            let path = item.path();
            let Some(stem) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".jsonl"))
            else {
                continue;
            };
            let run_id = stem.to_owned();
            match read_lines(&path) {
                Ok(Read {
                    target, entries, ..
                }) => {
                    let mut counts: Vec<(ObjectKind, usize)> = Vec::new();
                    for e in &entries {
                        match counts.iter_mut().find(|(k, _)| *k == e.kind) {
                            Some((_, n)) => *n += 1,
                            None => counts.push((e.kind, 1)),
                        }
                    }
                    counts.sort();
                    out.push(JournalSummary {
                        run_id,
                        path,
                        target,
                        counts,
                        error: None,
                    });
                }
                Err(e) => out.push(JournalSummary {
                    run_id,
                    path,
                    target: String::new(),
                    counts: Vec::new(),
                    error: Some(e.to_string()),
                }),
            }
        }
        out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
        Ok(out)
    }

    /// The run this journal belongs to.
    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The target URL the run was started against.
    pub fn target(&self) -> &str {
        &self.target
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written line
        // in `entries` (it is pushed after the write), so the data is fine.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write_line(&self, inner: &mut Inner, line: &Line) -> Result<(), JournalError> {
        let mut text = serde_json::to_string(line).map_err(|e| io_err(&self.path, e))?;
        text.push('\n');
        inner
            .file
            .write_all(text.as_bytes())
            .and_then(|()| inner.file.flush())
            .and_then(|()| inner.file.sync_data())
            .map_err(|e| io_err(&self.path, e))
    }

    /// Appends `entry` and syncs it to disk before returning. An entry
    /// already recorded (same kind, id and parent) is not written again.
    pub fn record(&self, entry: Entry) -> Result<(), JournalError> {
        let mut inner = self.lock();
        if inner.entries.contains(&entry) {
            return Ok(());
        }
        self.write_line(&mut inner, &Line::Created(entry.clone()))?;
        inner.entries.push(entry);
        Ok(())
    }

    /// Every entry, in the order recorded.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().entries.clone()
    }

    /// Whether an object with this id (UUID compared as a UUID, names
    /// exactly) was created by the run, as a provider, consumer, class or
    /// trait.
    pub fn created(&self, id: &str) -> bool {
        let wanted = uuid::Uuid::try_parse(id).ok();
        self.lock().entries.iter().any(|e| {
            e.kind.stands_alone()
                && match (wanted, uuid::Uuid::try_parse(&e.id).ok()) {
                    (Some(w), Some(have)) => w == have,
                    _ => e.id == id,
                }
        })
    }

    /// Records that cleanup left nothing, and renames the file
    /// `<run-id>.jsonl.done` so that it is no longer listed; returns the
    /// new path.
    pub fn mark_done(self) -> Result<PathBuf, JournalError> {
        let mut inner = self.lock();
        self.write_line(&mut inner, &Line::Done)?;
        drop(inner);
        let done = self.path.with_extension("jsonl.done");
        std::fs::rename(&self.path, &done).map_err(|e| io_err(&self.path, e))?;
        Ok(done)
    }
}

/// What [`read_lines`] found.
struct Read {
    run_id: Option<String>,
    target: String,
    entries: Vec<Entry>,
    /// Bytes up to the end of the last record that parses.
    good_len: u64,
    /// Whether that record lacks its newline.
    needs_newline: bool,
}

/// Reads a journal: its run id and target (from the `start` line) and its
/// entries. The last line may be cut short by a crash: it is skipped when
/// it does not parse and has no newline.
fn read_lines(path: &Path) -> Result<Read, JournalError> {
    let mut good_len = 0u64;
    let mut needs_newline = false;
    let file = File::open(path).map_err(|e| io_err(path, e))?;
    let mut reader = BufReader::new(file);
    let mut run_id = None;
    let mut target = String::new();
    let mut entries = Vec::new();
    let mut number = 0;
    let mut buf = String::new();
    loop {
        buf.clear();
        let n = reader.read_line(&mut buf).map_err(|e| io_err(path, e))?;
        if n == 0 {
            break;
        }
        number += 1;
        let complete = buf.ends_with('\n');
        let text = buf.trim();
        if text.is_empty() {
            good_len += n as u64;
            continue;
        }
        let line = match serde_json::from_str::<Line>(text) {
            Ok(line) => line,
            // Cut short by a crash mid-write: nothing was acted on after it.
            Err(_) if !complete => break,
            Err(e) => {
                return Err(JournalError::Corrupt {
                    path: path.to_owned(),
                    line: number,
                    reason: e.to_string(),
                });
            }
        };
        good_len += n as u64;
        // A whole record whose newline did not make it: the next write
        // must start on a line of its own.
        needs_newline = !complete;
        match line {
            Line::Start {
                run_id: r,
                target: t,
                ..
            } => {
                run_id = Some(r);
                target = t;
            }
            Line::Created(e) => {
                if !entries.contains(&e) {
                    entries.push(e);
                }
            }
            Line::Done => {}
        }
    }
    Ok(Read {
        run_id,
        target,
        entries,
        good_len,
        needs_newline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/tmp/journal-tests")
            .join(format!("{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    fn rp(id: &str) -> Entry {
        Entry::new(
            ObjectKind::Provider,
            id,
            &format!("/resource_providers/{id}"),
        )
    }

    #[test]
    fn append_reopen_and_done() {
        let d = dir("append");
        let run = RunId::generate();
        let j = ok(Journal::create(&d, run, "http://127.0.0.1:1"));
        let u = run.uuid_string();
        ok(j.record(rp(&u)));
        ok(j.record(rp(&u)));
        ok(j.record(Entry::new(
            ObjectKind::Trait,
            "CUSTOM_T",
            "/traits/CUSTOM_T",
        )));
        assert!(j.created(&u.to_uppercase()));
        assert!(j.created("CUSTOM_T"));
        assert!(!j.created("CUSTOM_U"));
        assert!(matches!(
            Journal::create(&d, run, "x"),
            Err(JournalError::Exists { .. })
        ));
        drop(j);
        let again = ok(Journal::open_existing(&d, run));
        assert_eq!(again.entries().len(), 2);
        assert_eq!(again.target(), "http://127.0.0.1:1");
        let list = ok(Journal::list(&d));
        assert_eq!(list.len(), 1);
        assert_eq!(
            list.first().map(|s| s.counts.clone()),
            Some(vec![(ObjectKind::Provider, 1), (ObjectKind::Trait, 1)])
        );
        let done = ok(again.mark_done());
        assert!(done.is_file());
        assert!(ok(Journal::list(&d)).is_empty());
        match Journal::open_existing(&d, run) {
            Err(JournalError::NotFound { path, .. }) => {
                assert_eq!(path, Journal::path_in(&d, run))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_last_line_is_skipped_and_appending_continues() {
        let d = dir("truncated");
        let run = RunId::generate();
        let j = ok(Journal::create(&d, run, "http://h"));
        ok(j.record(rp("a")));
        drop(j);
        let path = Journal::path_in(&d, run);
        let mut f = ok(OpenOptions::new().append(true).open(&path));
        ok(f.write_all(br#"{"event":"created","kind":"provider","id":"b","pa"#));
        drop(f);
        let j = ok(Journal::open_existing(&d, run));
        assert_eq!(j.entries(), vec![rp("a")]);
        ok(j.record(rp("c")));
        drop(j);
        let j = ok(Journal::open_existing(&d, run));
        assert_eq!(j.entries(), vec![rp("a"), rp("c")]);
    }

    #[test]
    fn corrupt_line_is_an_error_naming_it() {
        let d = dir("corrupt");
        let run = RunId::generate();
        let j = ok(Journal::create(&d, run, "http://h"));
        ok(j.record(rp("a")));
        drop(j);
        let path = Journal::path_in(&d, run);
        let text = ok(std::fs::read_to_string(&path));
        ok(std::fs::write(&path, format!("{text}garbage\n{text}")));
        let e = Journal::open_existing(&d, run).err().map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(e.contains(&format!("{}:3:", path.display())), "{e}");
        let listed = ok(Journal::list(&d));
        assert!(listed.first().and_then(|s| s.error.clone()).is_some());
    }

    #[test]
    fn unwritable_dir_names_the_path() {
        let d = dir("unwritable");
        ok(std::fs::create_dir_all(d.parent().unwrap_or(&d)));
        ok(std::fs::write(&d, b"a file, not a folder"));
        let e = Journal::create(&d, RunId::generate(), "http://h")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains(&d.display().to_string()), "{e}");
        let _ = std::fs::remove_file(&d);
    }
}

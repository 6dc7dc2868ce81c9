//! The writer behind the request log: lines collect in memory and reach stderr in batches.
//!
//! At the default level every request logs one line, and one `write` to stderr per line cost
//! 1.5–2 µs of server CPU per request (about 6% of a read). Here a line is appended to a shared
//! buffer; a thread writes the buffer out every [`FLUSH_INTERVAL`], so under load one `write`
//! carries hundreds of lines. Warnings and errors are written at once, with every line before
//! them, so order is kept and nothing urgent waits. The buffer is written by its writer when it
//! passes [`FLUSH_BYTES`] (memory stays bounded if stderr is slow), by [`BatchedStderr::flush`]
//! at exit, and before a panic message. A process killed with SIGKILL loses at most the
//! interval's INFO lines; the audit trail does not go through here.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// Longest a log line waits in memory.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(10);
/// Buffered bytes at which the writer of a line writes the batch out itself.
pub const FLUSH_BYTES: usize = 1 << 20;

/// A `MakeWriter` for tracing's fmt layer that batches lines to stderr (see the module).
#[derive(Clone)]
pub struct BatchedStderr {
    shared: Arc<Shared>,
}

struct Shared {
    /// Lines not yet written.
    pending: Mutex<Vec<u8>>,
    /// Where batches go (stderr), held while a batch is taken and written so that batches
    /// arrive in order.
    output: Mutex<Box<dyn Write + Send>>,
}

fn locked<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding either lock leaves nothing half-done worth refusing the log for.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn new(output: Box<dyn Write + Send>) -> Arc<Self> {
        Arc::new(Self {
            pending: Mutex::new(Vec::new()),
            output: Mutex::new(output),
        })
    }

    fn flush(&self) {
        let mut output = locked(&self.output);
        let batch = std::mem::take(&mut *locked(&self.pending));
        if !batch.is_empty() {
            // Nowhere to report a failed write to stderr; the lines are dropped as eprintln's are.
            let _ = output.write_all(&batch);
        }
    }

    /// `flush` for the panic hook: the panicking thread may hold a lock already, and waiting
    /// for it there would hang the process instead of reporting the panic.
    fn flush_unless_held(&self) {
        if let (Ok(mut output), Ok(mut pending)) = (self.output.try_lock(), self.pending.try_lock())
        {
            let _ = output.write_all(&std::mem::take(&mut *pending));
        }
    }

    fn line(&self, urgent: bool) -> LineWriter<'_> {
        LineWriter {
            shared: self,
            urgent,
            full: false,
        }
    }
}

impl BatchedStderr {
    /// Start the writer thread, and flush what is buffered before any panic message.
    pub fn start() -> io::Result<Self> {
        let shared = Shared::new(Box::new(io::stderr()));
        let flusher = shared.clone();
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || loop {
                std::thread::sleep(FLUSH_INTERVAL);
                flusher.flush();
            })?;
        let on_panic = shared.clone();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            on_panic.flush_unless_held();
            previous(info)
        }));
        Ok(Self { shared })
    }

    /// Write out every buffered line now (at exit).
    pub fn flush(&self) {
        self.shared.flush();
    }
}

/// Whether lines of `level` are written at once: warnings and errors (tracing orders levels
/// by verbosity, so they are the ones at or below WARN).
fn is_urgent(level: &Level) -> bool {
    *level <= Level::WARN
}

/// One log line's writer: appends, and on drop writes the batch out if the line is urgent or
/// the buffer is full.
pub struct LineWriter<'a> {
    shared: &'a Shared,
    urgent: bool,
    full: bool,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut pending = locked(&self.shared.pending);
        pending.extend_from_slice(bytes);
        self.full |= pending.len() >= FLUSH_BYTES;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter<'_> {
    fn drop(&mut self) {
        if self.urgent || self.full {
            self.shared.flush();
        }
    }
}

impl<'a> MakeWriter<'a> for BatchedStderr {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        self.shared.line(false)
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        self.shared.line(is_urgent(meta.level()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink the test can read back.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            locked(&self.0).extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(locked(&self.0).clone()).unwrap()
        }
    }

    #[test]
    fn info_lines_wait_and_a_warning_writes_them_out_before_itself() {
        let sink = Sink::default();
        let shared = Shared::new(Box::new(sink.clone()));
        shared.line(false).write_all(b"one\n").unwrap();
        shared.line(false).write_all(b"two\n").unwrap();
        assert_eq!(sink.text(), "", "INFO lines wait for the writer thread");
        shared.line(true).write_all(b"careful\n").unwrap();
        assert_eq!(sink.text(), "one\ntwo\ncareful\n");
        shared.line(false).write_all(b"three\n").unwrap();
        shared.flush();
        assert_eq!(sink.text(), "one\ntwo\ncareful\nthree\n");
    }

    #[test]
    fn a_full_buffer_is_written_out_by_the_line_that_filled_it() {
        let sink = Sink::default();
        let shared = Shared::new(Box::new(sink.clone()));
        let line = vec![b'x'; FLUSH_BYTES / 4];
        for _ in 0..3 {
            shared.line(false).write_all(&line).unwrap();
        }
        assert_eq!(sink.text().len(), 0);
        shared.line(false).write_all(&line).unwrap();
        assert_eq!(sink.text().len(), FLUSH_BYTES);
    }

    #[test]
    fn the_panic_flush_gives_up_on_a_held_lock_instead_of_waiting() {
        let sink = Sink::default();
        let shared = Shared::new(Box::new(sink.clone()));
        shared.line(false).write_all(b"one\n").unwrap();
        {
            let _held = locked(&shared.pending);
            shared.flush_unless_held();
        }
        assert_eq!(sink.text(), "");
        shared.flush_unless_held();
        assert_eq!(sink.text(), "one\n");
    }

    #[test]
    fn warnings_and_errors_are_urgent() {
        assert!(is_urgent(&Level::ERROR) && is_urgent(&Level::WARN));
        assert!(!is_urgent(&Level::INFO) && !is_urgent(&Level::DEBUG));
    }
}

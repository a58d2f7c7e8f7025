//! The change feed as a stream: [`Store::changes`] reads the outbox in order from a
//! sequence number, in batches, and — when asked to follow — waits for new commits (this
//! process's, announced on the store's watch channel, or another replica's, found by
//! polling) until the consumer goes away or the service shuts down.

use std::time::Duration;

use pyred_proto::v1 as pb;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use crate::error::RegistryError;
use crate::store::Store;

/// Changes read from the store per query while streaming.
const FEED_BATCH: i64 = 500;
/// How often a live stream looks for changes committed by other registry replicas.
const FEED_POLL: Duration = Duration::from_millis(200);

impl Store {
    /// The changes after `since`, each with the head of the feed when it was read; with
    /// `follow`, the stream then stays open for new ones until `shutdown` is cancelled. An
    /// error ends the stream after it is yielded.
    pub fn changes(
        &self,
        since: i64,
        follow: bool,
        shutdown: CancellationToken,
    ) -> impl Stream<Item = Result<pb::Change, RegistryError>> + Send + 'static {
        let store = self.clone();
        let (sender, receiver) = tokio::sync::mpsc::channel(FEED_BATCH as usize);
        tokio::spawn(async move {
            let mut committed = store.subscribe();
            let mut cursor = since;
            loop {
                let read = async {
                    let batch = store.changes_after(cursor, FEED_BATCH).await?;
                    Ok::<_, RegistryError>((store.last_seq().await?, batch))
                };
                let (head, batch) = match read.await {
                    Ok(read) => read,
                    Err(error) => {
                        let _closed = sender.send(Err(error)).await;
                        return;
                    }
                };
                let caught_up = (batch.len() as i64) < FEED_BATCH;
                for change in batch {
                    cursor = change.seq;
                    let message = change.to_pb().map(|mut message| {
                        message.head_seq = head.max(message.seq);
                        message
                    });
                    if sender.send(message).await.is_err() {
                        return; // the consumer went away
                    }
                }
                if !caught_up {
                    continue;
                }
                if !follow {
                    return;
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = sender.closed() => return,
                    _ = committed.changed() => {}
                    () = tokio::time::sleep(FEED_POLL) => {}
                }
            }
        });
        ReceiverStream::new(receiver)
    }
}

//! Waits for several futures at once, results in input order: how the
//! reads of one step go out together. The HTTP client's own semaphore and
//! rate limiter still bound what is in flight; this only stops the scan
//! from waiting for each answer before sending the next.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Polls every future until all are done; outputs in the order given.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, slot) in futures.iter_mut().zip(outputs.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn results_keep_input_order_and_run_together() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build();
        let Ok(rt) = rt else { panic!("runtime") };
        let started = std::time::Instant::now();
        let out = rt.block_on(join_all(
            [30u64, 10, 20]
                .into_iter()
                .map(|ms| async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    ms
                })
                .collect(),
        ));
        assert_eq!(out, vec![30, 10, 20]);
        assert!(
            started.elapsed() < Duration::from_millis(55),
            "{:?}",
            started.elapsed()
        );
    }
}

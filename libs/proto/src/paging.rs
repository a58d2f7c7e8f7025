//! Reading a paged list through to its last page (or until the reader has enough): the
//! one loop over `page_token`s, for every list whose request carries a
//! [`pb::PageRequest`] and whose answer a `next_page_token`.

use std::future::Future;
use std::ops::ControlFlow;

use crate::v1 as pb;

/// A list request that takes a page.
pub trait PagedRequest: Clone {
    /// Asks for `page`.
    fn set_page(&mut self, page: pb::PageRequest);
}

/// One page of a list's answer.
pub trait PagedResponse {
    /// What the list holds.
    type Item;
    /// The token of the next page; empty on the last page.
    fn next_page_token(&self) -> &str;
    /// The page's items.
    fn into_items(self) -> Vec<Self::Item>;
}

macro_rules! paged {
    ($request:ty => $response:ty, $items:ident: $item:ty) => {
        impl PagedRequest for $request {
            fn set_page(&mut self, page: pb::PageRequest) {
                self.page = Some(page);
            }
        }

        impl PagedResponse for $response {
            type Item = $item;

            fn next_page_token(&self) -> &str {
                &self.next_page_token
            }

            fn into_items(self) -> Vec<$item> {
                self.$items
            }
        }
    };
}

paged!(pb::ListCompaniesRequest => pb::ListCompaniesResponse, companies: pb::Company);
paged!(pb::ListOpportunitiesRequest => pb::ListOpportunitiesResponse, opportunities: pb::Opportunity);
paged!(pb::SearchRequest => pb::SearchResponse, hits: pb::SearchHit);

/// Sends `request` through `call` page after page, `page_size` items each, handing every
/// page's items to `each`, until the last page or until `each` answers
/// [`ControlFlow::Break`]. The first error ends the reading and is returned.
pub async fn each_page<Request, Response, Error, Call, Answer, Each>(
    mut request: Request,
    page_size: i32,
    mut call: Call,
    mut each: Each,
) -> Result<(), Error>
where
    Request: PagedRequest,
    Response: PagedResponse,
    Call: FnMut(Request) -> Answer,
    Answer: Future<Output = Result<Response, Error>>,
    Each: FnMut(Vec<Response::Item>) -> ControlFlow<()>,
{
    let mut page_token = String::new();
    loop {
        request.set_page(pb::PageRequest {
            page_size,
            page_token,
        });
        let response = call(request.clone()).await?;
        page_token = response.next_page_token().to_owned();
        if each(response.into_items()).is_break() || page_token.is_empty() {
            return Ok(());
        }
    }
}

/// Every item of a list (see [`each_page`]), or the first `cap` when `cap` is given.
pub async fn all_pages<Request, Response, Error, Call, Answer>(
    request: Request,
    page_size: i32,
    cap: Option<usize>,
    call: Call,
) -> Result<Vec<Response::Item>, Error>
where
    Request: PagedRequest,
    Response: PagedResponse,
    Call: FnMut(Request) -> Answer,
    Answer: Future<Output = Result<Response, Error>>,
{
    let mut all = Vec::new();
    each_page(request, page_size, call, |items| {
        all.extend(items);
        match cap {
            Some(cap) if all.len() >= cap => {
                all.truncate(cap);
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        }
    })
    .await?;
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list of `n` companies served `page_size` at a time, tokens being offsets; counts
    /// the calls.
    async fn serve(
        n: usize,
        request: pb::ListCompaniesRequest,
        calls: &std::cell::Cell<usize>,
    ) -> Result<pb::ListCompaniesResponse, String> {
        calls.set(calls.get() + 1);
        let page = request.page.ok_or("no page asked")?;
        let start: usize = if page.page_token.is_empty() {
            0
        } else {
            page.page_token.parse().map_err(|_| "bad token")?
        };
        let size = usize::try_from(page.page_size).map_err(|_| "bad size")?;
        let end = (start + size).min(n);
        Ok(pb::ListCompaniesResponse {
            companies: (start..end)
                .map(|i| pb::Company {
                    id: format!("c{i}"),
                    ..Default::default()
                })
                .collect(),
            next_page_token: if end < n {
                end.to_string()
            } else {
                String::new()
            },
        })
    }

    /// A minimal executor: the futures here never wait on anything.
    fn block_on<F: Future>(future: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut future = std::pin::pin!(future);
        let mut context = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
        }
    }

    #[test]
    fn every_page_is_read_once_to_the_last() {
        let calls = std::cell::Cell::new(0);
        let all = block_on(all_pages(
            pb::ListCompaniesRequest::default(),
            10,
            None,
            |request| serve(25, request, &calls),
        ))
        .expect("served");
        assert_eq!(all.len(), 25);
        assert_eq!(all[24].id, "c24");
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn a_cap_stops_the_reading_and_errors_end_it() {
        let calls = std::cell::Cell::new(0);
        let some = block_on(all_pages(
            pb::ListCompaniesRequest::default(),
            10,
            Some(15),
            |request| serve(100, request, &calls),
        ))
        .expect("served");
        assert_eq!(some.len(), 15);
        assert_eq!(calls.get(), 2, "no page is asked for beyond the cap");
        let failed = block_on(all_pages(
            pb::ListCompaniesRequest::default(),
            -1,
            None,
            |request| serve(100, request, &calls),
        ));
        assert_eq!(failed.err().as_deref(), Some("bad size"));
    }
}

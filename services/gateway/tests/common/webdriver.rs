//! A minimal WebDriver client for Debian's chromedriver driving headless Chromium.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use super::http::Client;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver, stopped (with the Chromium it started) when dropped.
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Browser {
    client: Client,
    session: String,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// Paths of chromium and chromedriver, when installed.
pub fn installed() -> Option<(String, String)> {
    let find = |names: &[&str]| {
        names
            .iter()
            .map(|n| n.to_string())
            .find(|path| std::path::Path::new(path).exists())
    };
    Some((
        find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"])?,
        find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])?,
    ))
}

impl Browser {
    pub async fn start(chromium: &str, chromedriver: &str) -> Self {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            probe.local_addr().expect("addr").port()
        };
        let driver = Driver(
            std::process::Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let client = Client::new(addr, None);
        pyred_runtime::testing::wait_until(
            "chromedriver to be ready",
            Duration::from_secs(30),
            || async {
                if tokio::net::TcpStream::connect(addr).await.is_err() {
                    return None;
                }
                let status = client.get("/status", &[]).await;
                (status.status == 200 && status.json()["value"]["ready"] == json!(true))
                    .then_some(())
            },
        )
        .await;
        let profile = tempfile::tempdir().expect("profile dir");
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "acceptInsecureCerts": true,
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--no-first-run",
                        "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=fr-FR",
                        format!("--user-data-dir={}", profile.path().display()),
                    ]
                }
            } }
        });
        let reply = post(&client, "/session", &capabilities).await;
        let session = reply["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {reply}"))
            .to_owned();
        Self {
            client,
            session,
            _driver: driver,
            _profile: profile,
        }
    }

    fn path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub async fn goto(&self, url: &str) {
        post(&self.client, &self.path("/url"), &json!({ "url": url })).await;
    }

    pub async fn url(&self) -> String {
        get(&self.client, &self.path("/url")).await["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn source(&self) -> String {
        get(&self.client, &self.path("/source")).await["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn title(&self) -> String {
        get(&self.client, &self.path("/title")).await["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching a CSS selector, if any.
    pub async fn find(&self, css: &str) -> Option<String> {
        let reply = self
            .client
            .send(
                "POST",
                &self.path("/element"),
                &[],
                Some((
                    "application/json",
                    json!({ "using": "css selector", "value": css })
                        .to_string()
                        .into_bytes(),
                )),
            )
            .await;
        (reply.status == 200).then(|| {
            reply.json()["value"][ELEMENT]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
    }

    /// The first element matching `css`, waiting up to 10 s for it (pages load after
    /// clicks return).
    pub async fn element(&self, css: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(id) = self.find(css).await {
                return id;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "no element {css} on {}:\n{}",
                    self.url().await,
                    self.source().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits up to 10 s until the URL satisfies `check`; returns it.
    pub async fn wait_url(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.url().await;
            let ready = self
                .script("return document.readyState;")
                .await
                .as_str()
                .is_some_and(|state| state == "complete");
            if check(&url) && ready {
                return url;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "URL never became {what}: {url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        let reply = post(
            &self.client,
            &self.path("/elements"),
            &json!({ "using": "css selector", "value": css }),
        )
        .await;
        reply["value"].as_array().map_or(0, Vec::len)
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        post(
            &self.client,
            &self.path(&format!("/element/{id}/clear")),
            &json!({}),
        )
        .await;
        post(
            &self.client,
            &self.path(&format!("/element/{id}/value")),
            &json!({ "text": text }),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        post(
            &self.client,
            &self.path(&format!("/element/{id}/click")),
            &json!({}),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        get(&self.client, &self.path(&format!("/element/{id}/text"))).await["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let id = self.element(css).await;
        get(
            &self.client,
            &self.path(&format!("/element/{id}/attribute/{name}")),
        )
        .await["value"]
            .as_str()
            .map(str::to_owned)
    }

    /// Presses Tab `times` and returns the focused element's tag and text.
    pub async fn tab(&self, times: usize) -> Value {
        let keys: String = std::iter::repeat_n('\u{E004}', times).collect();
        post(
            &self.client,
            &self.path("/actions"),
            &json!({ "actions": [{ "type": "key", "id": "keyboard", "actions":
                keys.chars().flat_map(|k| [json!({"type": "keyDown", "value": k.to_string()}), json!({"type": "keyUp", "value": k.to_string()})]).collect::<Vec<_>>()
            }] }),
        )
        .await;
        self.script("const e = document.activeElement; return {tag: e.tagName, text: e.textContent.trim(), href: e.getAttribute('href')};").await
    }

    pub async fn script(&self, body: &str) -> Value {
        post(
            &self.client,
            &self.path("/execute/sync"),
            &json!({ "script": body, "args": [] }),
        )
        .await["value"]
            .clone()
    }

    pub async fn cookies(&self) -> Value {
        get(&self.client, &self.path("/cookie")).await["value"].clone()
    }

    pub async fn screenshot(&self, file: &std::path::Path) {
        use base64::Engine as _;
        let reply = get(&self.client, &self.path("/screenshot")).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(reply["value"].as_str().unwrap_or_default())
            .expect("PNG in base64");
        std::fs::write(file, png).expect("screenshot written");
    }

    /// Resizes the window so that a full-page screenshot shows the whole page.
    pub async fn fit_height(&self) {
        let height = self
            .script("return document.documentElement.scrollHeight;")
            .await
            .as_u64()
            .unwrap_or(1000);
        post(
            &self.client,
            &self.path("/window/rect"),
            &json!({ "width": 1280, "height": height.clamp(700, 4000) + 120 }),
        )
        .await;
    }

    pub async fn reset_height(&self) {
        post(
            &self.client,
            &self.path("/window/rect"),
            &json!({ "width": 1280, "height": 1000 }),
        )
        .await;
    }

    pub async fn quit(self) {
        let _ = self
            .client
            .send("DELETE", &format!("/session/{}", self.session), &[], None)
            .await;
    }
}

impl Drop for Browser {
    /// Closes Chromium even when a test panics: chromedriver alone would leave it running.
    fn drop(&mut self) {
        use std::io::{Read as _, Write as _};
        let Ok(mut stream) = std::net::TcpStream::connect(self.client.addr) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session, self.client.addr
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            let mut answer = [0_u8; 1024];
            let _ = stream.read(&mut answer);
        }
    }
}

async fn post(client: &Client, path: &str, body: &Value) -> Value {
    let reply = client
        .send(
            "POST",
            path,
            &[],
            Some(("application/json", body.to_string().into_bytes())),
        )
        .await;
    assert_eq!(reply.status, 200, "WebDriver {path}: {}", reply.text());
    reply.json()
}

async fn get(client: &Client, path: &str) -> Value {
    let reply = client.get(path, &[]).await;
    assert_eq!(reply.status, 200, "WebDriver {path}: {}", reply.text());
    reply.json()
}

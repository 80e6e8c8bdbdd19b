// Where Debian 12's sendmail keeps what the how-to touches.
export const MAIL_DIR = '/etc/mail';
export const SENDMAIL_MC = '/etc/mail/sendmail.mc';
export const SENDMAIL_CF = '/etc/mail/sendmail.cf';
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

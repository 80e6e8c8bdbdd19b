# Write files atomically. lib/remote-files.ts (writeScript) runs this text as
#   perl -e <this> -- SUFFIX TAG KEEP  PATH MODE OWNER[:GROUP] SIZE  [PATH MODE OWNER SIZE]...
# and sends the files' contents on stdin, one after the other as they are (SIZE bytes each, in the
# order of the arguments), never on a command line. For each file:
#   a temp file in the same folder, made here and nowhere else (O_EXCL: never an existing file, nor
#   what a link planted there points at), 0600 until it holds its owner and mode: those of the file
#   it replaces (or MODE and OWNER when given; 0644 for a new file without MODE); its content (SIZE
#   bytes of stdin) written and fsynced; the old file kept as the backup PATH.SUFFIX (content, owner,
#   mode and times as cp -p, the times to the second: perl-base has no Time::HiRes; the KEEP newest
#   PATH.TAG-* kept); then renamed over PATH.
# Perl, not sh: a fleet's writes land at once and every program started counts on a small host;
# the shell version started four to six programs per file (cp twice, dd, chmod, chown, mv), this is
# one perl for every file of the round trip. perl-base is Essential on Debian (always installed),
# and only its own modules are used (Fcntl, IO::Handle).
use strict;
use warnings;
use Fcntl qw(O_WRONLY O_RDONLY O_CREAT O_EXCL O_TRUNC O_NOFOLLOW);
use IO::Handle;

my ($suffix, $tag, $keep, @spec) = @ARGV;
die "write: no suffix, tag and keep given\n" unless defined $keep && @spec % 4 == 0;
umask 077;
binmode STDIN;
my $tmp;
END { unlink $tmp if defined $tmp; }
sub fail { die "write: $_[0]\n"; }

# user[:group] or :group, as chown(1) takes it: names or numbers; -1 keeps that part
sub owner_ids {
  my ($own) = @_;
  my ($u, $g) = split /:/, $own, 2;
  my ($uid, $gid) = (-1, -1);
  if (defined $u && $u ne '') {
    $uid = $u =~ /^\d+$/ ? $u : scalar getpwnam($u);
    fail "unknown user $u" unless defined $uid;
  }
  if (defined $g && $g ne '') {
    $gid = $g =~ /^\d+$/ ? $g : scalar getgrnam($g);
    fail "unknown group $g" unless defined $gid;
  }
  return ($uid, $gid);
}

sub put_all {
  my ($fh, $data, $what) = @_;
  my $off = 0;
  while ($off < length $data) {
    my $n = syswrite($fh, $data, length($data) - $off, $off);
    fail "cannot write $what: $!" unless defined $n;
    $off += $n;
  }
}

# the backup: the old file's bytes, owner, mode and times (cp -p); written through no link
sub backup {
  my ($f, $to, @st) = @_;
  sysopen(my $in, $f, O_RDONLY) or fail "cannot read $f: $!";
  binmode $in;
  my $data = '';
  while (1) {
    my $n = sysread($in, $data, 65536, length $data);
    fail "cannot read $f: $!" unless defined $n;
    last if $n == 0;
  }
  close $in;
  sysopen(my $out, $to, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600) or fail "cannot create $to: $!";
  binmode $out;
  put_all($out, $data, $to);
  chown($st[4], $st[5], $out) or fail "cannot chown $to: $!";
  chmod($st[2] & 07777, $out) or fail "cannot chmod $to: $!";
  close $out or fail "cannot write $to: $!";
  utime($st[8], $st[9], $to) or fail "cannot set the times of $to: $!";
}

# the oldest backups go, the KEEP newest stay (the stamps sort as the times they name)
sub prune {
  my ($d, $b) = @_;
  opendir(my $dh, $d) or fail "cannot list $d: $!";
  my @old = sort grep { index($_, "$b.$tag-") == 0 } readdir $dh;
  closedir $dh;
  while (@old > $keep) {
    my $o = shift @old;
    unlink "$d/$o" or fail "cannot remove $d/$o: $!";
  }
}

while (@spec) {
  my ($f, $mode, $own, $size) = splice @spec, 0, 4;
  my $i = rindex($f, '/');
  my ($d, $b) = $i < 0 ? ('.', $f) : (substr($f, 0, $i), substr($f, $i + 1));
  $d = '/' if $d eq '';
  my $t = "$d/.$b.$suffix.tmp";
  sysopen(my $fh, $t, O_WRONLY | O_CREAT | O_EXCL, 0600) or fail "cannot create $t: $!";
  $tmp = $t;
  binmode $fh;
  my @st = stat $f;
  # the content lands in a file already as closed as the one it replaces (or 0600)
  if (@st) {
    chown($st[4], $st[5], $fh) or fail "cannot chown $t: $!";
    chmod($st[2] & 07777, $fh) or fail "cannot chmod $t: $!";
  }
  my $data = '';
  while (length $data < $size) {
    my $n = read(STDIN, $data, $size - length $data, length $data);
    fail "cannot read the content of $f: $!" unless defined $n;
    fail "the content of $f ends early (" . length($data) . " of $size bytes)" if $n == 0;
  }
  put_all($fh, $data, $t);
  $fh->sync or fail "cannot fsync $t: $!";
  if ($mode ne '') {
    chmod(oct $mode, $fh) or fail "cannot chmod $t: $!";
  } elsif (!@st) {
    chmod(0644, $fh) or fail "cannot chmod $t: $!";
  }
  if ($own ne '') {
    chown(owner_ids($own), $fh) or fail "cannot chown $t to $own: $!";
  }
  close $fh or fail "cannot write $t: $!";
  if (@st) {
    backup($f, "$f.$suffix", @st);
    prune($d, $b);
  }
  rename($t, $f) or fail "cannot rename $t to $f: $!";
  $tmp = undef;
}

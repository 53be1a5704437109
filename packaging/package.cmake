# The Debian package (CPack DEB): packaging/build-deb.sh is the way to build it. Installs the
# unit, the minimal config as a conffile, the man pages (gzipped at install time) and the
# Debian doc files; the maintainer scripts create the nodebackup user and enable the unit.

set(NB_PKG ${CMAKE_SOURCE_DIR}/packaging)

# The unit names the programs where this build installs them (/usr/sbin in the package).
configure_file(${CMAKE_SOURCE_DIR}/systemd/nodebackupd.service
               ${CMAKE_BINARY_DIR}/nodebackupd.service @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/nodebackupd.service DESTINATION /lib/systemd/system)
# The installed config works as it is (the local machine's /etc); example.json, with every
# key and an ssh node to adapt, goes with the documentation.
install(FILES ${CMAKE_SOURCE_DIR}/config/minimal.json DESTINATION /etc/nodebackup
        RENAME config.json)
install(FILES ${CMAKE_SOURCE_DIR}/config/example.json ${CMAKE_SOURCE_DIR}/config/minimal.json
              ${NB_PKG}/debian/copyright ${CMAKE_SOURCE_DIR}/docs/s3.md
        DESTINATION share/doc/nodebackup)

# gzip -9n: reproducible (no name, no timestamp), as dh_compress does.
function(nb_install_gzipped source destination)
  get_filename_component(name ${source} NAME)
  install(CODE "
    set(dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${destination}\")
    file(MAKE_DIRECTORY \"\${dir}\")
    execute_process(COMMAND gzip -9n -c \"${source}\" OUTPUT_FILE \"\${dir}/${name}.gz\"
                    COMMAND_ERROR_IS_FATAL ANY)
    file(CHMOD \"\${dir}/${name}.gz\" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)")
endfunction()
nb_install_gzipped(${NB_PKG}/man/nodebackupd.8 share/man/man8)
nb_install_gzipped(${NB_PKG}/man/nodebackupctl.8 share/man/man8)
nb_install_gzipped(${NB_PKG}/man/nodebackup.json.5 share/man/man5)
nb_install_gzipped(${NB_PKG}/debian/changelog share/doc/nodebackup)
install(CODE "file(RENAME \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/share/doc/nodebackup/changelog.gz\"
                          \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/share/doc/nodebackup/changelog.Debian.gz\")")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nodebackup)
set(CPACK_PACKAGE_VENDOR "nodebackup maintainers")
set(CPACK_PACKAGE_CONTACT "nodebackup maintainers <maintainers@users.noreply.r-seed-c36f01f8.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "incremental backup daemon for a small fleet of Linux nodes")
# The extended description; CPack puts the summary above it and indents it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "nodebackupd pulls files from the local machine and from remote machines over
SSH (SFTP or find/tar over exec), detects changed files against a persisted
hash store (XXH3-128), and keeps only changed content in a deduplicating,
content-addressed repository. It runs as a hardened systemd service and
raises health alarms when change detection stops working.

nodebackupctl shows the daemon's status, starts runs, and lists, restores
and verifies snapshots.")
set(CPACK_DEBIAN_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# adduser: postinst; procps: the unit's ExecReload uses /bin/kill. The libraries come from
# dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${NB_PKG}/debian/postinst ${NB_PKG}/debian/prerm
                                       ${NB_PKG}/debian/postrm ${NB_PKG}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
# Absolute destinations (/etc, /lib/systemd) go into the package, not onto this machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)

# A Debian package: `cpack -G DEB` in the build directory (scripts/package.sh
# builds, checks and installs it).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME engagementd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "engagementd maintainers <engagementd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "simulated audience engine for live streams")
set(CPACK_PACKAGE_DESCRIPTION
    "A daemon that runs beside a PHP live-commerce site and keeps each live stream's\n"
    "display numbers (viewers, likes) up to date from the site's MariaDB/MySQL\n"
    "database: real audience plus a simulated one, with rates per real minute.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# The config goes to /etc, an absolute destination: stage it under DESTDIR.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the libraries the binary links (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mariadb-server (>= 1:10.11)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
include(CPack)

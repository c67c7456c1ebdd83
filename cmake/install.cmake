# Install rules and the CMake package `fastactor` (included by the top-level CMakeLists.txt
# after the library targets exist).
#
#   cmake --install build --prefix P
#
# installs the public headers, include/fastactor/ (users write #include <fastactor/...>; the
# private headers of actors/, protocol/ and server/ are not installed), the static libraries
# under P/lib/, and
# P/lib/cmake/fastactor/{fastactorConfig,fastactorConfigVersion,fastactorTargets*}.cmake, so
# that another project can write
#
#   find_package(fastactor REQUIRED)
#   target_link_libraries(app PRIVATE fastactor::fastactor)

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(FASTACTOR_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/fastactor)
# Users must compile against the Boost the libraries were built with (Beast and Asio are
# header-only; Boost.URL is not): the package asks for exactly this version. The full x.y.z
# matters: Boost's own CMake package does not take "1.81" EXACT as 1.81.0, and CMake then
# falls back to its FindBoost module, which warns about new Boost versions.
if(DEFINED Boost_VERSION_MAJOR AND DEFINED Boost_VERSION_MINOR AND DEFINED Boost_VERSION_PATCH)
  set(FASTACTOR_BOOST_VERSION ${Boost_VERSION_MAJOR}.${Boost_VERSION_MINOR}.${Boost_VERSION_PATCH})
else()
  set(FASTACTOR_BOOST_VERSION 1.81.0)
endif()

# The public headers need C++17; say so in the interface, for users of the package.
target_compile_features(fastactor INTERFACE cxx_std_17)

install(TARGETS fastactor_protocol fastactor_actors fastactor_server fastactor
        EXPORT fastactorTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# With FASTACTOR_LTO (CMakeLists.txt) the libraries' objects also carry GCC's intermediate
# code, for the servers linked as one program. Installed, it would make GCC optimize every
# user's program that links them as a whole, asked or not, and a link by another GCC version
# fail: the installed copies keep the machine code only (as Fedora strips its static libraries).
if(FASTACTOR_LTO_ACTIVE)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    set(FASTACTOR_INSTALLED_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
  else()
    set(FASTACTOR_INSTALLED_LIBDIR "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}")
  endif()
  foreach(layer fastactor_protocol fastactor_actors fastactor_server)
    install(CODE "
      set(archive \"\$ENV{DESTDIR}${FASTACTOR_INSTALLED_LIBDIR}/$<TARGET_FILE_NAME:${layer}>\")
      execute_process(COMMAND \"${CMAKE_OBJCOPY}\" -R .gnu.lto_* -R .gnu.debuglto_* \"\${archive}\"
                      RESULT_VARIABLE stripped)
      if(NOT stripped EQUAL 0)
        message(FATAL_ERROR \"objcopy could not take GCC's intermediate code out of \${archive}\")
      endif()")
  endforeach()
endif()

install(DIRECTORY ${fastactor_SOURCE_DIR}/include/fastactor
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")

install(EXPORT fastactorTargets
        NAMESPACE fastactor::
        FILE fastactorTargets.cmake
        DESTINATION ${FASTACTOR_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/fastactorConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/fastactorConfig.cmake
  INSTALL_DESTINATION ${FASTACTOR_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API.
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/fastactorConfigVersion.cmake
  VERSION ${fastactor_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/fastactorConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/fastactorConfigVersion.cmake
        DESTINATION ${FASTACTOR_INSTALL_CMAKEDIR})

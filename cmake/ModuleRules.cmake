# The module rules of docs/architecture.md, checked at configure time: a module whose library
# links (directly or through another) a module it must not, or whose sources include a header of
# one, fails the configure step with a message naming the file. The table below is the allowed
# dependency graph; what it does not list is forbidden. Among the rules it enforces: serving never
# links an engine (executors do), bench never links serving (it is a client), dns and iceberg know
# nothing of serving, sim runs no real executor.
set(LLMS_MODULE_DEPS
  "core:"
  "servegen:core"
  "engine_shapes:"
  "engine:core,engine_shapes"
  "serving:core"
  "executor:serving,engine,engine_shapes,core"
  "sim:serving,servegen,engine_shapes,core"
  "server:executor,serving,engine,engine_shapes,core"
  "bench:servegen,core"
  "cluster:server,bench,servegen,executor,serving,engine,engine_shapes,core"
  "dns:core"
  "symex:core"
  "iceberg:dns,symex,core")

function(llms_check_module_rules)
  # module -> allowed modules (its own included)
  foreach(entry ${LLMS_MODULE_DEPS})
    string(REPLACE ":" ";" parts "${entry}")
    string(REPLACE "," ";" parts "${parts}")
    list(GET parts 0 module)
    list(LENGTH parts n)
    set(allowed ${module})
    if(n GREATER 1)
      list(SUBLIST parts 1 -1 deps)
      list(APPEND allowed ${deps})
    endif()
    set(allowed_${module} ${allowed})
    list(APPEND modules ${module})
  endforeach()
  foreach(module ${modules})
    # Links: the transitive closure of the module library's llms_* libraries.
    set(seen "")
    set(stack llms_${module})
    while(stack)
      list(POP_BACK stack t)
      get_target_property(libs ${t} LINK_LIBRARIES)
      foreach(l ${libs})
        if(l MATCHES "^llms_(.*)$" AND TARGET ${l} AND NOT l STREQUAL "llms_warnings")
          set(dep ${CMAKE_MATCH_1})
          if(NOT dep IN_LIST seen)
            list(APPEND seen ${dep})
            list(APPEND stack ${l})
            if(NOT dep IN_LIST allowed_${module})
              message(FATAL_ERROR "module rule broken: llms_${module} links llms_${dep} "
                                  "(docs/architecture.md: ${module} may use ${allowed_${module}})")
            endif()
          endif()
        endif()
      endforeach()
    endwhile()
    # Includes: every #include "X/..." of the module's sources names an allowed module.
    set(dir ${module})
    if(module STREQUAL "engine_shapes")
      continue()  # its files live in src/engine/ (model_presets.*, model_config.h)
    endif()
    file(GLOB sources "${PROJECT_SOURCE_DIR}/src/${dir}/*.h" "${PROJECT_SOURCE_DIR}/src/${dir}/*.cc")
    foreach(f ${sources})
      # Tests may use what their test binary links (e.g. fixtures from a sibling module).
      if(f MATCHES "_test\\.cc$" OR f MATCHES "_fuzz\\.cc$")
        continue()
      endif()
      file(STRINGS "${f}" includes REGEX "^#include \"[a-z_]+/")
      foreach(line ${includes})
        string(REGEX REPLACE "^#include \"([a-z_]+)/.*$" "\\1" dep "${line}")
        if(dep IN_LIST allowed_${module})
          # allowed
        elseif(dep STREQUAL "engine" AND "engine_shapes" IN_LIST allowed_${module})
          # engine_shapes is the model-shape part of engine (engine/model_presets.h, model.h).
          if(NOT line MATCHES "engine/(model_presets|model_config)\\.h")
            message(FATAL_ERROR "module rule broken: ${f} includes ${line}: ${module} may use "
                                "only the engine's model shapes (engine/model_presets.h)")
          endif()
        else()
          message(FATAL_ERROR "module rule broken: ${f} includes ${line} "
                              "(docs/architecture.md: ${module} may use ${allowed_${module}})")
        endif()
      endforeach()
    endforeach()
  endforeach()
endfunction()
